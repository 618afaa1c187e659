"""PostgreSQL account lookups for authentication: concurrent lookups share one query
(spec/security.md, "Sessions")."""

import asyncpg

from src.platform.batching import Coalescer
from src.service.ticketing.adapters.postgres import CONNECTION_ERRORS, DRIVER_ERRORS
from src.service.ticketing.application.ports import Unavailable
from src.service.ticketing.domain.user import AccountState, Role

_STATES = ("SELECT id, role, is_active, token_version FROM users "
           "WHERE id = ANY($1::int[])")


class PostgresAccountLookup:
    """`state(user_id)`: every lookup submitted while a query runs goes into the next one, a
    single `SELECT … WHERE id = ANY(…)` outside any transaction. The caller caches the answers
    (`application/sessions.py`), so this runs about once per user per cache TTL."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._lookups: Coalescer[int, AccountState | None] = Coalescer(self._fetch)

    async def state(self, user_id: int) -> AccountState | None:
        """The account's current state, or None; raises `Unavailable`."""
        return await self._lookups.submit(user_id)

    async def _fetch(self, user_ids: list[int]) -> list[AccountState | None]:
        try:
            rows = await self._pool.fetch(_STATES, sorted(set(user_ids)))
        except (*CONNECTION_ERRORS, *DRIVER_ERRORS) as e:
            raise Unavailable("database unavailable") from e
        found = {r["id"]: AccountState(r["id"], Role(r["role"]), r["is_active"],
                                       r["token_version"]) for r in rows}
        return [found.get(user_id) for user_id in user_ids]
