"""Abuse limits counted in the real redis-server with `limits`' moving window, which uses
only EVALSHA (list commands inside) like everything else that talks to Kvrocks
(spec/security.md, "Abuse limits")."""

import uuid

import pytest

from src.platform.kvrocks import create_client
from src.platform.settings import KvrocksSettings
from src.service.ticketing.adapters.rate_limits import LeasedRateLimiter, LimitsRateLimiter
from src.service.ticketing.application.ports import Limit, Unavailable
from src.service.ticketing.domain.errors import TooManyRequests


async def test_limits_are_shared_through_kvrocks_with_retry_after(redis, kvrocks_settings):
    rules = {Limit.LOGIN_ACCOUNT: "3/minute", Limit.LOGIN_ADDRESS: ""}
    one = LimitsRateLimiter.on_kvrocks(redis, kvrocks_settings.url, rules)
    other = LimitsRateLimiter.on_kvrocks(redis, kvrocks_settings.url, rules)  # another process
    key = f"ann-{uuid.uuid4().hex}@x.io"
    for limiter in (one, other, one):
        await limiter.acquire(Limit.LOGIN_ACCOUNT, key)
    with pytest.raises(TooManyRequests) as refused:
        await other.acquire(Limit.LOGIN_ACCOUNT, key)
    assert 1 <= refused.value.retry_after_s <= 60
    stored = [k async for k in redis.scan_iter(match=f"ratelimit:*{key}*")]
    assert len(stored) == 1 and await redis.type(stored[0]) == b"list"
    assert 0 < await redis.ttl(stored[0]) <= 60
    for _ in range(10):
        await one.acquire(Limit.LOGIN_ADDRESS, "127.0.0.1")  # off: never counted


async def test_a_leased_limit_counts_in_kvrocks_by_the_lease(redis, kvrocks_settings):
    shared = LimitsRateLimiter.on_kvrocks(redis, kvrocks_settings.url,
                                          {Limit.BOOKING_BUYER: "40/minute"})
    leased = LeasedRateLimiter(shared, Limit.BOOKING_BUYER)
    key = uuid.uuid4().hex
    granted = 0
    for _ in range(50):
        try:
            await leased.acquire(Limit.BOOKING_BUYER, key)
            granted += 1
        except TooManyRequests:
            pass
    assert granted == 40
    [stored] = [k async for k in redis.scan_iter(match=f"ratelimit:*{key}*")]
    assert await redis.llen(stored) == 40


async def test_an_unreachable_store_is_unavailable():
    client = create_client(KvrocksSettings(url="redis://127.0.0.1:1/0", pool_timeout_s=1))
    limiter = LimitsRateLimiter.on_kvrocks(client, "redis://127.0.0.1:1/0",
                                           {Limit.LOGIN_ACCOUNT: "3/minute"})
    try:
        with pytest.raises(Unavailable):
            await limiter.acquire(Limit.LOGIN_ACCOUNT, "x")
    finally:
        await client.aclose()
