"""PostgreSQL account lookups for authentication: concurrent lookups share one query
(spec/security.md, "Sessions")."""

import asyncpg

from src.platform.batching import Coalescer
from src.platform.db import UNAVAILABLE
from src.service.ticketing.application.ports import Unavailable
from src.service.ticketing.domain.user import AccountState, Role

_STATES = ("SELECT id, role, is_active, token_version FROM users "
           "WHERE id = ANY($1::int[])")


class PostgresAccountLookup:
    """`state(user_id)`: every lookup submitted while a query runs goes into the next one, a
    single `SELECT … WHERE id = ANY(…)` outside any transaction. The caller caches the answers
    (`application/sessions.py`), so this runs about once per user per cache TTL. A pooled
    connection is waited for at most `acquire_timeout_s`."""

    def __init__(self, pool: asyncpg.Pool, acquire_timeout_s: float = 10.0) -> None:
        self._pool, self._timeout_s = pool, acquire_timeout_s
        self._lookups: Coalescer[int, AccountState | None] = Coalescer(self._fetch)

    async def state(self, user_id: int) -> AccountState | None:
        """The account's current state, or None; raises `Unavailable`."""
        return await self._lookups.submit(user_id)

    async def _fetch(self, user_ids: list[int]) -> list[AccountState | None]:
        try:
            async with self._pool.acquire(timeout=self._timeout_s) as conn:
                rows = await conn.fetch(_STATES, sorted(set(user_ids)))
        except UNAVAILABLE as e:
            raise Unavailable("database unavailable") from e
        found = {r["id"]: AccountState(r["id"], Role(r["role"]), r["is_active"],
                                       r["token_version"]) for r in rows}
        return [found.get(user_id) for user_id in user_ids]
