"""Kvrocks client factory.

Only commands Kvrocks supports and treats like Redis are used (spec/architecture.md, "Kvrocks
rules"): RESP2, BITFIELD for seat bits, EVALSHA with a fallback to loading the script
(redis-py's `Script` does this on NOSCRIPT), plain pub/sub.
"""

from redis.asyncio import BlockingConnectionPool, Redis

from src.platform.settings import KvrocksSettings


def create_client(settings: KvrocksSettings) -> Redis:
    """A pooled client speaking RESP2 (`protocol=2`); the caller closes it with `aclose()`.

    The pool blocks (up to `pool_timeout_s`) when all `max_connections` are busy, instead of
    failing the request: a burst waits for a connection rather than getting a 503."""
    pool = BlockingConnectionPool.from_url(
        settings.url,
        protocol=2,
        max_connections=settings.max_connections,
        timeout=settings.pool_timeout_s,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)  # the client owns the pool and closes it
