"""Kvrocks client factory.

Only commands Kvrocks supports and treats like Redis are used (spec/architecture.md, "Kvrocks
rules"): RESP2, BITFIELD for seat bits, EVALSHA with a fallback to loading the script
(redis-py's `Script` does this on NOSCRIPT), plain pub/sub.
"""

import socket

from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from src.platform.settings import KvrocksSettings

# Errors that mean "Kvrocks cannot serve us right now": unreachable, loading, the connection
# broke, or no pooled connection came free within `pool_timeout_s`. Adapters turn them into
# their service's "unavailable" error (an HTTP 503; spec/architecture.md, "HTTP conventions").
UNAVAILABLE: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError)


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


def create_pubsub_connection(settings: KvrocksSettings, name: str) -> AbstractConnection:
    """A connection of its own for pub/sub, outside the pool of `create_client` (so that a
    subscriber never holds one of its `max_connections`), speaking RESP2 and announcing itself
    as `name` (`CLIENT SETNAME`, shown by `CLIENT LIST`), with TCP keepalive probes. Not yet
    connected: the caller awaits `connect()` and closes it with `disconnect()`. It never
    retries or reconnects by itself."""
    pool = ConnectionPool.from_url(settings.url, protocol=2, client_name=name,
                                   socket_keepalive=True,
                                   socket_keepalive_options=_KEEPALIVE)
    return pool.make_connection()


# An idle subscriber connection that the network dropped silently is noticed within about a
# minute (30 s idle, then 3 probes 10 s apart) instead of the kernel's default two hours.
_KEEPALIVE = {
    option: value
    for name, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3))
    if (option := getattr(socket, name, None)) is not None
}
