"""Sessions against the real PostgreSQL: account lookups batched, revocation stored
(spec/security.md, "Sessions")."""

import asyncio

from src.service.ticketing.adapters.postgres import PostgresUnitOfWork
from src.service.ticketing.adapters.postgres_sessions import PostgresAccountLookup
from src.service.ticketing.domain.user import AccountState, Role
from test.integration.factories import insert_user


class CountingPool:
    """The pool, counting the connections taken from it: the lookup sends one query on each."""

    def __init__(self, pool) -> None:
        self.pool, self.queries = pool, 0

    def acquire(self, timeout=None):
        self.queries += 1
        return self.pool.acquire(timeout=timeout)


async def test_concurrent_lookups_share_a_query_and_see_revocations(pg_pool):
    async with pg_pool.acquire() as conn:
        buyer, seller = await insert_user(conn, "buyer"), await insert_user(conn, "seller")
    pool = CountingPool(pg_pool)
    lookup = PostgresAccountLookup(pool)
    missing = 2**31 - 1
    states = await asyncio.gather(*(lookup.state(i) for i in (buyer, seller, missing, buyer)))
    assert pool.queries == 1
    assert states == [AccountState(buyer, Role.BUYER, True, 0),
                      AccountState(seller, Role.SELLER, True, 0), None,
                      AccountState(buyer, Role.BUYER, True, 0)]
    async with PostgresUnitOfWork(pg_pool) as uow:
        await uow.users.revoke_sessions(buyer)
        await uow.users.revoke_sessions(buyer)
    async with pg_pool.acquire() as conn:
        await conn.execute("UPDATE users SET is_active = false WHERE id = $1", seller)
    assert await lookup.state(buyer) == AccountState(buyer, Role.BUYER, True, 2)
    assert (await lookup.state(seller)).is_active is False
    async with PostgresUnitOfWork(pg_pool) as uow:
        user = await uow.users.by_id(buyer)
    assert (user.token_version, user.is_active) == (2, True)


async def test_a_new_password_is_stored_with_a_new_token_version(pg_pool):
    async with pg_pool.acquire() as conn:
        buyer = await insert_user(conn, "buyer")
    async with PostgresUnitOfWork(pg_pool) as uow:
        updated = await uow.users.set_password(buyer, "new-hash")
        assert await uow.users.set_password(2**31 - 1, "x") is None
    assert (updated.id, updated.password_hash, updated.token_version) == (buyer, "new-hash", 1)
