-- Replace the seat state of ONE subsection with a snapshot rebuilt from PostgreSQL, atomically
-- (spec/architecture.md, guarantee 7).
-- KEYS: seats bitfield, alloc hash, avail counter, row cursor (reset: 0 is always safe),
--       generation.
-- ARGV: generation (the snapshot's `subsection_stats.seat_map_gen`), available count, then
--       pairs of booking id and its indexes ("i,j,k", or '' = released).
-- The counter is written from the snapshot's count, so it agrees with the bits written here;
-- the cursor is left missing (read as 0) and moves again with the next allocation. The
-- generation is written unconditionally: the snapshot is PostgreSQL's word.
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('SET', KEYS[5], ARGV[1])
redis.call('SET', KEYS[3], ARGV[2])
local args, n = {}, 0
for a = 3, #ARGV, 2 do
  for s in string.gmatch(ARGV[a + 1], '[^,]+') do
    args[#args + 1] = 'SET'; args[#args + 1] = 'u1'; args[#args + 1] = '#' .. s
    args[#args + 1] = 1
    if #args >= 4000 then redis.call('BITFIELD', KEYS[1], unpack(args)); args = {} end
  end
  redis.call('HSET', KEYS[2], ARGV[a], ARGV[a + 1])
  n = n + 1
end
if #args > 0 then redis.call('BITFIELD', KEYS[1], unpack(args)) end
return n
