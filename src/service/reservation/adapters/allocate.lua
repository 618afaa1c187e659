-- Allocate seats for a group of bookings of ONE subsection, atomically (check and set together).
-- KEYS: seats bitfield, alloc hash (booking -> "i,j,k" | '' once released), avail counter,
--       cursor (lowest row that may have a free seat: every row before it is full), generation.
-- ARGV: expected generation (-1: not checked), rows, cols, then per booking: id, mode,
--       quantity, comma-separated requested indexes.
-- Returns per booking: outcome, indexes-or-reason; then the final avail counter. Outcomes (not
-- booking statuses): 'allocated' (seats newly held), 'replayed' (seats recorded by an earlier
-- delivery), 'refused' (nothing held, see the reason), 'released' (tombstone: nothing held).
-- Runs after generation.lua's check (the adapter prepends it): a map at another generation
-- than expected is left alone and the reply is {'stale', generation}. Reasons are the buyer's
-- (domain/reasons.py).
-- Keys are created lazily: a subsection no command has reached has none, and a missing avail
-- counter is recounted from the bits (spec/architecture.md, "Ownership").
-- Selection must stay identical to test/seat_selection_model.py (test/seat_vectors.py drives
-- both). Seat bits only via BITFIELD u1 (spec/architecture.md, "Kvrocks rules"). Rows are read
-- lazily from the cursor on, so a call in a busy sale reads a row or two instead of the whole
-- subsection.
local rows, cols = tonumber(ARGV[2]), tonumber(ARGV[3])
local CHUNK = 1000
local taken, loaded = {}, {}

local function load(first, last)
  local want = {}
  for r = first, last do
    if not loaded[r] then
      loaded[r] = true
      for c = 0, cols - 1 do want[#want + 1] = r * cols + c end
    end
  end
  for pos = 1, #want, CHUNK do
    local args = {}
    for k = pos, math.min(pos + CHUNK - 1, #want) do
      args[#args + 1] = 'GET'; args[#args + 1] = 'u1'; args[#args + 1] = '#' .. want[k]
    end
    local got = redis.call('BITFIELD', KEYS[1], unpack(args))
    for k = 1, #got do taken[want[pos + k - 1]] = got[k] == 1 end
  end
end

local function row_blocks(r, out)
  local c = 0
  while c < cols do
    if taken[r * cols + c] then
      c = c + 1
    else
      local s = c
      while c < cols and not taken[r * cols + c] do c = c + 1 end
      out[#out + 1] = {r, r * cols + s, c - s}
    end
  end
  return out
end

local function by_size_row_start(a, b)
  if a[3] ~= b[3] then return a[3] > b[3] end
  if a[1] ~= b[1] then return a[1] < b[1] end
  return a[2] < b[2]
end

local cursor = tonumber(redis.call('GET', KEYS[4]) or 0)
local free = tonumber(redis.call('GET', KEYS[3]))
if free == nil then
  load(0, rows - 1)
  free = 0
  for i = 0, rows * cols - 1 do if not taken[i] then free = free + 1 end end
  redis.call('SET', KEYS[3], free)
end

local function best_available(quantity)
  if quantity < 1 or free < quantity then return nil end
  for r = cursor, rows - 1 do  -- N adjacent seats in one row: lowest row, then leftmost
    load(r, r)
    for _, b in ipairs(row_blocks(r, {})) do
      if b[3] >= quantity then
        local out = {}
        for k = 0, quantity - 1 do out[#out + 1] = b[2] + k end
        return out
      end
    end
  end
  local blocks, out = {}, {}  -- else the largest free blocks combined
  for r = cursor, rows - 1 do row_blocks(r, blocks) end
  table.sort(blocks, by_size_row_start)
  for _, b in ipairs(blocks) do
    for k = 0, math.min(b[3], quantity - #out) - 1 do out[#out + 1] = b[2] + k end
    if #out == quantity then break end
  end
  if #out < quantity then return nil end
  table.sort(out)
  return out
end

local function manual(csv, quantity)
  local out, seen = {}, {}
  for s in string.gmatch(csv, '[^,]+') do
    local i = tonumber(s)
    if i == nil or i < 0 or i >= rows * cols or seen[i] then
      return nil, 'Invalid seat selection'
    end
    load(math.floor(i / cols), math.floor(i / cols))
    if taken[i] then return nil, 'Requested seats are not available' end
    seen[i] = true
    out[#out + 1] = i
  end
  if #out == 0 or #out ~= quantity then return nil, 'Invalid seat selection' end
  table.sort(out)
  return out
end

local function hold(id, seats)
  local args = {}
  for _, i in ipairs(seats) do
    taken[i] = true
    args[#args + 1] = 'SET'; args[#args + 1] = 'u1'; args[#args + 1] = '#' .. i
    args[#args + 1] = 1
  end
  redis.call('BITFIELD', KEYS[1], unpack(args))
  local joined = table.concat(seats, ',')
  redis.call('HSET', KEYS[2], id, joined)
  free = free - #seats
  return joined
end

local result, held = {}, 0
for a = 4, #ARGV, 4 do
  local id, mode, quantity, csv = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2]), ARGV[a + 3]
  local recorded = redis.call('HGET', KEYS[2], id)
  if recorded == '' then
    result[#result + 1] = 'released'; result[#result + 1] = 'Booking was cancelled'
  elseif recorded then
    result[#result + 1] = 'replayed'; result[#result + 1] = recorded
  else
    local seats, reason
    if mode == 'manual' then
      seats, reason = manual(csv, quantity)
    else
      seats, reason = best_available(quantity), 'Not enough seats available'
    end
    if seats then
      held = held + #seats
      result[#result + 1] = 'allocated'; result[#result + 1] = hold(id, seats)
    else
      result[#result + 1] = 'refused'; result[#result + 1] = reason
    end
  end
end

if held > 0 then  -- move the cursor past rows that are now full
  local moved = cursor
  while moved < rows do
    load(moved, moved)
    local full = true
    for c = 0, cols - 1 do if not taken[moved * cols + c] then full = false; break end end
    if not full then break end
    moved = moved + 1
  end
  if moved ~= cursor then redis.call('SET', KEYS[4], moved) end
end
result[#result + 1] = held > 0 and redis.call('DECRBY', KEYS[3], held)
  or tonumber(redis.call('GET', KEYS[3]))
return result
