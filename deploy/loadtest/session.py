"""What every run opens: the stores read for settling and checks, and a healthy API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
from redis.asyncio import Redis

from deploy.loadtest.api import Api
from src.platform.db import asyncpg_dsn

HEALTH_WAIT_S = 30


class SetupError(RuntimeError):
    """The run cannot start (no API, no database URL, bad option)."""


@contextlib.asynccontextmanager
async def stores(args) -> AsyncIterator[tuple[asyncpg.Connection, Redis]]:
    """One PostgreSQL connection and one Kvrocks client, for settling and checks."""
    if not args.database_url or not args.kvrocks_url:
        raise SetupError("DATABASE_URL and KVROCKS_URL are needed (source .local/bench/env)")
    conn = await asyncpg.connect(asyncpg_dsn(args.database_url))
    redis = Redis.from_url(args.kvrocks_url, protocol=2)
    try:
        yield conn, redis
    finally:
        await redis.aclose()
        await conn.close()


async def wait_healthy(api: Api) -> None:
    """Wait (bounded) until the API answers /health."""
    for _ in range(HEALTH_WAIT_S * 2):
        if await api.health():
            return
        await asyncio.sleep(0.5)
    raise SetupError("the ticketing API does not answer /health")
