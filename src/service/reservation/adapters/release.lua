-- Release the seats of bookings of ONE subsection; idempotent.
-- KEYS: seats bitfield, alloc hash, avail counter, row cursor, generation.
-- ARGV: expected generation (-1: not checked), then booking ids.
-- Runs after generation.lua's check (the adapter prepends it): a map at another generation
-- than expected is left alone and the reply is {'stale', generation}.
-- Clears only the bits recorded for each booking, then leaves the tombstone '' so that a late
-- or redelivered BookingCreated allocates nothing (spec/architecture.md, guarantee 3).
-- A missing avail counter stays missing (keys are created lazily): counting up from nothing
-- would store a wrong count, and the next allocate recounts it from the bits.
-- Returns seats freed, then the avail counter (-1 when there is none).
local freed = 0
for a = 2, #ARGV do
  local id = ARGV[a]
  local recorded = redis.call('HGET', KEYS[2], id)
  if recorded and recorded ~= '' then
    local args = {}
    for s in string.gmatch(recorded, '[^,]+') do
      args[#args + 1] = 'SET'; args[#args + 1] = 'u1'; args[#args + 1] = '#' .. s
      args[#args + 1] = 0
      freed = freed + 1
    end
    redis.call('BITFIELD', KEYS[1], unpack(args))
  end
  redis.call('HSET', KEYS[2], id, '')
end
if freed > 0 then redis.call('DEL', KEYS[4]) end  -- freed seats may sit before the cursor
local avail = tonumber(redis.call('GET', KEYS[3]))
if avail and freed > 0 then avail = redis.call('INCRBY', KEYS[3], freed) end
return {freed, avail or -1}
