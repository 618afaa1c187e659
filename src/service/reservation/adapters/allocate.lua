-- Allocate seats for a group of bookings of ONE subsection, atomically (check and set together).
-- KEYS: seats bitfield, alloc hash (booking -> "i,j,k" | '' once released), avail counter.
-- ARGV: rows, cols, then per booking: id, mode, quantity, comma-separated requested indexes.
-- Returns per booking: status, indexes-or-reason; then the final avail counter.
-- Selection must stay identical to domain/seat_selection.py (test/seat_vectors.py drives both).
-- Seat bits only via BITFIELD u1 (Kvrocks rule); GETs are chunked under Lua's unpack limit.
local rows, cols = tonumber(ARGV[1]), tonumber(ARGV[2])
local size = rows * cols
local CHUNK = 1000

local function read_bits()
  local taken, free, i = {}, 0, 0
  while i < size do
    local n, args = math.min(CHUNK, size - i), {}
    for j = 0, n - 1 do
      args[#args + 1] = 'GET'; args[#args + 1] = 'u1'; args[#args + 1] = '#' .. (i + j)
    end
    local got = redis.call('BITFIELD', KEYS[1], unpack(args))
    for j = 1, n do
      taken[i + j - 1] = got[j] == 1
      if got[j] ~= 1 then free = free + 1 end
    end
    i = i + n
  end
  return taken, free
end

local function free_blocks(taken)
  local blocks = {}
  for r = 0, rows - 1 do
    local c = 0
    while c < cols do
      if taken[r * cols + c] then
        c = c + 1
      else
        local s = c
        while c < cols and not taken[r * cols + c] do c = c + 1 end
        blocks[#blocks + 1] = {r, r * cols + s, c - s}
      end
    end
  end
  return blocks
end

local function by_size_row_start(a, b)
  if a[3] ~= b[3] then return a[3] > b[3] end
  if a[1] ~= b[1] then return a[1] < b[1] end
  return a[2] < b[2]
end

local function best_available(taken, free, quantity)
  if quantity < 1 or free < quantity then return nil end
  local blocks, out = free_blocks(taken), {}
  for _, b in ipairs(blocks) do
    if b[3] >= quantity then
      for k = 0, quantity - 1 do out[#out + 1] = b[2] + k end
      return out
    end
  end
  table.sort(blocks, by_size_row_start)
  for _, b in ipairs(blocks) do
    for k = 0, math.min(b[3], quantity - #out) - 1 do out[#out + 1] = b[2] + k end
    if #out == quantity then break end
  end
  table.sort(out)
  return out
end

local function manual(taken, csv, quantity)
  local out, seen = {}, {}
  for s in string.gmatch(csv, '[^,]+') do
    local i = tonumber(s)
    if i == nil or i < 0 or i >= size or seen[i] then return nil, 'invalid seat selection' end
    if taken[i] then return nil, 'requested seats are not available' end
    seen[i] = true
    out[#out + 1] = i
  end
  if #out == 0 or #out ~= quantity then return nil, 'invalid seat selection' end
  table.sort(out)
  return out
end

local taken, free = read_bits()
if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('SET', KEYS[3], free) end
local result, held = {}, 0
for a = 3, #ARGV, 4 do
  local id, mode, quantity, csv = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2]), ARGV[a + 3]
  local recorded = redis.call('HGET', KEYS[2], id)
  if recorded == '' then
    result[#result + 1] = 'cancelled'; result[#result + 1] = 'booking was cancelled'
  elseif recorded then
    result[#result + 1] = 'replayed'; result[#result + 1] = recorded
  else
    local seats, reason
    if mode == 'manual' then
      seats, reason = manual(taken, csv, quantity)
    else
      seats, reason = best_available(taken, free, quantity), 'not enough seats available'
    end
    if seats then
      local args = {}
      for _, i in ipairs(seats) do
        taken[i] = true
        args[#args + 1] = 'SET'; args[#args + 1] = 'u1'; args[#args + 1] = '#' .. i
        args[#args + 1] = 1
      end
      redis.call('BITFIELD', KEYS[1], unpack(args))
      local joined = table.concat(seats, ',')
      redis.call('HSET', KEYS[2], id, joined)
      free, held = free - #seats, held + #seats
      result[#result + 1] = 'allocated'; result[#result + 1] = joined
    else
      result[#result + 1] = 'failed'; result[#result + 1] = reason
    end
  end
end
result[#result + 1] = held > 0 and redis.call('DECRBY', KEYS[3], held)
  or tonumber(redis.call('GET', KEYS[3]))
return result
