-- Prelude of every script that changes a subsection (allocate.lua, release.lua): the
-- generation check (spec/architecture.md, guarantee 7). KEYS[5] is the generation key,
-- ARGV[1] the generation expected (-1: not checked). A map at another generation (missing = 0)
-- is left as it is and the script answers {'stale', generation}; otherwise the generation
-- moves on by one and the script goes on.
local expected = tonumber(ARGV[1])
if expected >= 0 then
  local gen = tonumber(redis.call('GET', KEYS[5]) or 0)
  if gen ~= expected then return {'stale', gen} end
  redis.call('SET', KEYS[5], expected + 1)
end
