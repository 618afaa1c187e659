-- Release the seats of bookings of ONE subsection; idempotent.
-- KEYS: seats bitfield, alloc hash, avail counter, row cursor, generation.
-- ARGV: expected generation (-1: not checked), then one entry per booking: its id (release
-- everything it holds) or "id:i,j" (release only bits i and j: a refund of some of its seats,
-- spec/tickets.md, rule 15).
-- Runs after generation.lua's check (the adapter prepends it): a map at another generation
-- than expected is left alone and the reply is {'stale', generation}.
-- Clears only the bits recorded for each booking. A full release then leaves the tombstone ''
-- so that a late or redelivered BookingCreated allocates nothing (spec/architecture.md,
-- guarantee 3); a partial one records the bits the booking keeps, and the tombstone once it
-- keeps none. A partial release of a booking with no record changes nothing.
-- A missing avail counter stays missing (keys are created lazily): counting up from nothing
-- would store a wrong count, and the next allocate recounts it from the bits.
-- Returns seats freed, then the avail counter (-1 when there is none).
local freed = 0

local function clear(bits)
  if #bits == 0 then return end
  local args = {}
  for _, s in ipairs(bits) do
    args[#args + 1] = 'SET'; args[#args + 1] = 'u1'; args[#args + 1] = '#' .. s
    args[#args + 1] = 0
  end
  redis.call('BITFIELD', KEYS[1], unpack(args))
  freed = freed + #bits
end

for a = 2, #ARGV do
  local arg = ARGV[a]
  local colon = string.find(arg, ':', 1, true)
  local id = colon and string.sub(arg, 1, colon - 1) or arg
  local recorded = redis.call('HGET', KEYS[2], id)
  local held = {}
  if recorded then
    for s in string.gmatch(recorded, '[^,]+') do held[#held + 1] = s end
  end
  if not colon then
    clear(held)
    redis.call('HSET', KEYS[2], id, '')
  elseif #held > 0 then
    local wanted, gone, kept = {}, {}, {}
    for s in string.gmatch(string.sub(arg, colon + 1), '[^,]+') do wanted[s] = true end
    for _, s in ipairs(held) do
      if wanted[s] then gone[#gone + 1] = s else kept[#kept + 1] = s end
    end
    clear(gone)
    redis.call('HSET', KEYS[2], id, table.concat(kept, ','))
  end
end
if freed > 0 then redis.call('DEL', KEYS[4]) end  -- freed seats may sit before the cursor
local avail = tonumber(redis.call('GET', KEYS[3]))
if avail and freed > 0 then avail = redis.call('INCRBY', KEYS[3], freed) end
return {freed, avail or -1}
