"""Abuse limits with `limits`: moving windows, counted in Kvrocks so that every API process
shares them (spec/security.md, "Abuse limits").

The moving-window strategy's Redis implementation runs two Lua scripts with EVALSHA (loaded
with SCRIPT LOAD on NOSCRIPT, through redis-py's `Script`), each on one key, with LINDEX,
LPUSH, LTRIM and EXPIRE only: commands Kvrocks supports (spec/architecture.md, "Kvrocks
rules"). Counters live under `ratelimit:` keys.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from src.platform.kvrocks import UNAVAILABLE
from src.service.ticketing.application.ports import Limit, Unavailable
from src.service.ticketing.domain.errors import TooManyRequests


class LimitsRateLimiter:
    """`RateLimiter` over a `limits` storage: Kvrocks in the running service, process memory
    in tests. `rules` maps each limit to its `limits` notation ("10/minute"); an empty one
    switches the limit off."""

    def __init__(self, storage: Storage, rules: Mapping[Limit, str]) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._items = {limit: parse(text) for limit, text in rules.items() if text}

    @classmethod
    def on_kvrocks(cls, client: Redis, url: str, rules: Mapping[Limit, str]) -> LimitsRateLimiter:
        """Counters in Kvrocks at `url`, over `client`'s connection pool (RESP2)."""
        storage = RedisStorage(f"async+{url}", implementation="redispy", key_prefix="ratelimit",
                               connection_pool=client.connection_pool)  # type: ignore[arg-type]
        return cls(storage, rules)

    @classmethod
    def in_memory(cls, rules: Mapping[Limit, str]) -> LimitsRateLimiter:
        """Counters in this process only (tests)."""
        return cls(MemoryStorage(), rules)

    def item(self, limit: Limit) -> RateLimitItem | None:
        """The limit's amount and window, or None when it is off."""
        return self._items.get(limit)

    async def acquire(self, limit: Limit, key: str) -> None:
        """Count one attempt; raises `TooManyRequests`, `Unavailable`."""
        retry_after = await self.take(limit, key)
        if retry_after is not None:
            raise TooManyRequests(retry_after)

    async def take(self, limit: Limit, key: str, cost: int = 1) -> int | None:
        """Count `cost` attempts at once: None if they fit in the window, else the seconds
        until they might. Raises `Unavailable`."""
        item = self._items.get(limit)
        if item is None:
            return None
        try:
            if await self._limiter.hit(item, limit.value, key, cost=cost):
                return None
            reset, _ = await self._limiter.get_window_stats(item, limit.value, key)
        except UNAVAILABLE as e:
            raise Unavailable("rate limit store unavailable") from e
        return max(1, math.ceil(reset - time.time()))


class LeasedRateLimiter:
    """One limit counted in Kvrocks without a round trip per request, for the booking hot
    path: each process takes allowances in leases of a twentieth of the limit (one `take` of
    that cost), spends them in memory until they run out or their window ends, and once
    refused, refuses the key in memory until the `Retry-After` has passed. Unused leases are
    lost with their window, so a key may get up to one lease per process less than the limit;
    other limits are passed through."""

    def __init__(self, shared: LimitsRateLimiter, limit: Limit, max_keys: int = 100_000) -> None:
        item = shared.item(limit)
        assert item is not None, "only a limit that is on is leased"
        self._shared, self._limit, self._max_keys = shared, limit, max_keys
        self._lease = max(1, item.amount // 20)
        self._window_s = item.get_expiry()
        self._state: dict[str, list[float]] = {}  # key → [left, lease ends, refused until]
        self._renewing: dict[str, asyncio.Future[None]] = {}

    async def acquire(self, limit: Limit, key: str) -> None:
        """Count one attempt; raises `TooManyRequests`, `Unavailable`."""
        if limit is not self._limit:
            await self._shared.acquire(limit, key)
            return
        while True:
            now = time.monotonic()
            state = self._state.get(key)
            if state is not None and state[2] > now:
                raise TooManyRequests(max(1, math.ceil(state[2] - now)))
            if state is not None and state[0] >= 1 and state[1] > now:
                state[0] -= 1
                return
            pending = self._renewing.get(key)
            if pending is None:
                await self._renew(key)
            else:
                await asyncio.shield(pending)

    async def _renew(self, key: str) -> None:
        done = asyncio.get_running_loop().create_future()
        self._renewing[key] = done
        try:
            cost = self._lease
            retry_after = await self._shared.take(self._limit, key, cost)
            if retry_after is not None and cost > 1:
                cost = 1
                retry_after = await self._shared.take(self._limit, key, cost)
            now = time.monotonic()
            if len(self._state) >= self._max_keys and key not in self._state:
                del self._state[next(iter(self._state))]
            refused = now + retry_after if retry_after is not None else 0.0
            self._state[key] = [0.0 if retry_after else cost, now + self._window_s, refused]
        finally:
            del self._renewing[key]
            done.set_result(None)
