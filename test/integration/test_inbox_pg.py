"""The group commit against the real PostgreSQL (src/service/ticketing/adapters/postgres_inbox.py;
spec/architecture.md, guarantees 5 and 9): its first statement commits what it stores, so a
follow-up that fails after it (resolving the keys that were claimed already) concerns only the
requests whose keys it resolves; and in a batch with per-buyer limits (spec/booking.md, rule
11) a request under a claimed key, or a key repeated within the burst, asks for no new
tickets."""

import asyncio
import contextlib
from dataclasses import replace

import asyncpg
import pytest

from src.service.ticketing.adapters.kvrocks import RedisSeatInventory
from src.service.ticketing.adapters.postgres_inbox import KEY_UNRESOLVED, PostgresBookingInbox
from src.service.ticketing.application.ports import Unavailable
from src.service.ticketing.domain.errors import InvalidRequest, NotAuthenticated
from src.service.ticketing.domain.idempotency import Operation
from src.service.ticketing.domain.sales import SalesPolicy
from test.integration.factories import insert_user
from test.integration.test_ticketing_adapters import SHOW, principals, service
from test.integration.test_ticketing_keys import age, draft_of, keys_of, request

LIMITED = replace(SHOW, sales=SalesPolicy(max_tickets_per_buyer=4))
LAYOUTS = pytest.mark.parametrize("draft", [SHOW, LIMITED], ids=["no-limits", "limited"])
# The follow-up that resolves claimed keys (postgres_keys.TAKEN) starts with this CTE.
TAKEN_SQL = "WITH cleared AS"


class FailingPool:
    """The pool, whose connections raise `error` on every statement containing `marker` (or
    only on the `nth` such statement, counted from 1)."""

    def __init__(self, pool, marker: str, error: Exception, nth: int | None = None) -> None:
        self.pool, self.marker, self.error, self.nth = pool, marker, error, nth
        self.seen = self.failed = 0

    @contextlib.asynccontextmanager
    async def acquire(self, timeout=None):
        async with self.pool.acquire(timeout=timeout) as conn:
            yield FailingConnection(conn, self)


class FailingConnection:
    def __init__(self, conn, owner: FailingPool) -> None:
        self.conn, self.owner = conn, owner

    def __getattr__(self, name):
        return getattr(self.conn, name)

    def _check(self, sql: str) -> None:
        owner = self.owner
        if owner.marker in sql:
            owner.seen += 1
            if owner.nth is None or owner.seen == owner.nth:
                owner.failed += 1
                raise owner.error

    async def fetch(self, sql: str, *args):
        self._check(sql)
        return await self.conn.fetch(sql, *args)

    async def execute(self, sql: str, *args):
        self._check(sql)
        return await self.conn.execute(sql, *args)


async def _add_all(inbox: PostgresBookingInbox, requests) -> list:
    """`inbox.add` of each (booking, key, limited) in one burst (one batch): each outcome or
    the exception it raised."""
    return await asyncio.gather(*(inbox.add(*r) for r in requests), return_exceptions=True)


@LAYOUTS
@pytest.mark.parametrize("error", [
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),  # unavailable
    asyncpg.exceptions.LockNotAvailableError("could not obtain lock"),  # any other error
], ids=["connection-lost", "statement-error"])
async def test_a_failing_key_lookup_fails_only_the_requests_whose_keys_it_resolves(
        pg_pool, redis, draft, error):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, draft)
    old = (await svc.create_booking(buyer, request(event.id), "k")).booking
    limited = draft is LIMITED
    plain, keyed, retry = draft_of(old), draft_of(old), draft_of(old)
    pool = FailingPool(pg_pool, TAKEN_SQL, error)
    outcomes = await _add_all(PostgresBookingInbox(pool), [
        (plain, None, limited), (keyed, "fresh", limited), (retry, "k", limited)])
    assert pool.failed == 1
    # The two stored in the first statement are answered as stored; the retry, whose key
    # could not be resolved, is told to retry (it stored nothing).
    assert outcomes[:2] == [None, None]
    assert isinstance(outcomes[2], Unavailable) and str(outcomes[2]) == KEY_UNRESOLVED
    stored = sorted(await keys_of(pg_pool, buyer.user_id), key=lambda r: str(r[0]))
    assert stored == sorted([(old.id, "k"), (plain.id, None), (keyed.id, "fresh")],
                            key=lambda r: str(r[0]))


async def test_a_retry_under_a_claimed_key_takes_no_room_from_its_buyers_new_booking(
        pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, LIMITED)
    old = (await svc.create_booking(buyer, request(event.id, quantity=2), "k")).booking
    # The retry of the stored booking comes first in the burst: it asks for nothing new, so
    # the new booking of 2 fits the limit of 4 beside the 2 the buyer holds.
    retry, new = draft_of(old), draft_of(old)
    outcomes = await _add_all(PostgresBookingInbox(pg_pool), [
        (retry, "k", True), (new, "n", True)])
    assert (outcomes[0].operation, outcomes[0].booking.id) == (Operation.CREATE, old.id)
    assert outcomes[1] is None
    assert await keys_of(pg_pool, buyer.user_id) == [(old.id, "k"), (new.id, "n")]


async def test_a_key_repeated_within_a_limited_burst_counts_once(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, LIMITED)
    first = (await svc.create_booking(buyer, request(event.id, quantity=1))).booking
    a, a_again, b = (draft_of(first, quantity=2) for _ in range(3))
    b = replace(b, quantity=1)
    outcomes = await _add_all(PostgresBookingInbox(pg_pool), [
        (a, "a", True), (a_again, "a", True), (b, "b", True)])
    # 1 held + 2 (key a, once) + 1 = 4: all fit; the repeat stands for the first request.
    assert outcomes[0] is None and outcomes[2] is None
    assert (outcomes[1].operation, outcomes[1].booking.id) == (Operation.CREATE, a.id)
    assert await keys_of(pg_pool, buyer.user_id) == [(first.id, None), (a.id, "a"),
                                                     (b.id, "b")]


async def test_an_expired_key_in_a_limited_batch_is_taken_over_and_counted(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis), idempotency_ttl_s=60)
    event = await svc.create_event(seller, LIMITED)
    old = (await svc.create_booking(buyer, request(event.id, quantity=2), "k")).booking
    await age(pg_pool, old.id)
    inbox = PostgresBookingInbox(pg_pool, key_ttl_s=60)
    new, over = draft_of(old), draft_of(old, quantity=1)
    # Under the expired key a new booking of 2 is made (2 + 2 = 4); then nothing more fits.
    assert await _add_all(inbox, [(new, "k", True)]) == [None]
    [refusal] = await _add_all(inbox, [(over, "o", True)])
    assert isinstance(refusal, InvalidRequest)
    assert str(refusal).endswith("at most 4 tickets per buyer for this event, you already have 4")
    assert await keys_of(pg_pool, buyer.user_id) == [(old.id, None), (new.id, "k")]


@LAYOUTS
async def test_a_split_batch_losing_the_database_in_its_second_half_keeps_the_first(
        pg_pool, redis, draft):
    seller, buyer = await principals(pg_pool)
    async with pg_pool.acquire() as conn:
        ghost = await insert_user(conn)
        await conn.execute("DELETE FROM users WHERE id = $1", ghost)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, draft)
    old = (await svc.create_booking(buyer, request(event.id))).booking
    limited = draft is LIMITED
    first, bad, last = draft_of(old), draft_of(old, buyer_id=ghost), draft_of(old)
    # Statement 1 (all three) fails on the ghost's row; the split stores [first] (statement
    # 2), then loses the connection on [bad, last] (statement 3).
    pool = FailingPool(pg_pool, "INSERT INTO bookings", asyncpg.exceptions.
                       ConnectionDoesNotExistError("connection was closed"), nth=3)
    outcomes = await _add_all(PostgresBookingInbox(pool), [
        (first, None, limited), (bad, None, limited), (last, None, limited)])
    assert pool.failed == 1
    assert outcomes[0] is None  # stored, and answered so
    assert all(isinstance(o, Unavailable) for o in outcomes[1:])
    assert await keys_of(pg_pool, buyer.user_id) == [(old.id, None), (first.id, None)]
    # Without the lost connection the ghost's row fails alone.
    again = await _add_all(PostgresBookingInbox(pg_pool), [
        (draft_of(old, buyer_id=ghost), None, limited), (draft_of(old), None, limited)])
    assert isinstance(again[0], NotAuthenticated) and again[1] is None
