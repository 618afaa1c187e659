-- Replace the seat state of ONE subsection with a snapshot rebuilt from PostgreSQL, atomically.
-- KEYS: seats bitfield, alloc hash, avail counter, row cursor (reset: 0 is always safe).
-- ARGV: available count, then pairs of booking id and its indexes ("i,j,k", or '' = released).
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('SET', KEYS[3], ARGV[1])
for a = 2, #ARGV, 2 do
  local args = {}
  for s in string.gmatch(ARGV[a + 1], '[^,]+') do
    args[#args + 1] = 'SET'; args[#args + 1] = 'u1'; args[#args + 1] = '#' .. s
    args[#args + 1] = 1
  end
  if #args > 0 then redis.call('BITFIELD', KEYS[1], unpack(args)) end
  redis.call('HSET', KEYS[2], ARGV[a], ARGV[a + 1])
end
return #ARGV - 1
