"""Idempotency-Key against the real PostgreSQL: key and booking commit together (a create key
as its booking's column), concurrent retries make one booking, expired keys are taken over,
pay and cancel keys purged, and every compare-and-set holds when the row changes between its
read and its write (spec/architecture.md, guarantee 9)."""

import asyncio
import contextlib
import dataclasses
import importlib
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from src.platform.db import asyncpg_dsn
from src.service.lifecycle import BookingStatus
from src.service.ticketing.adapters.kvrocks import RedisSeatInventory
from src.service.ticketing.adapters.postgres import PostgresUnitOfWork
from src.service.ticketing.adapters.postgres_inbox import PostgresBookingInbox
from src.service.ticketing.application.create_booking import BookingRequest
from src.service.ticketing.domain.booking import SeatSelectionMode
from src.service.ticketing.domain.errors import Conflict
from src.service.ticketing.domain.idempotency import Operation
from test.integration.test_ticketing_adapters import SHOW, hold, principals, service

# Alembic's revision files are named from their revision id, so not importable by name.
migration = importlib.import_module(
    "src.platform.migrations.versions.0011_booking_idempotency_key")


def request(event_id: int, quantity: int = 1) -> BookingRequest:
    return BookingRequest(event_id, "A", 1, quantity, SeatSelectionMode.BEST_AVAILABLE, [])


async def rows(pg_pool, sql: str, *args):
    async with pg_pool.acquire() as conn:
        return await conn.fetch(sql, *args)


async def test_a_retry_after_a_crash_gets_the_committed_booking(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    first = service(pg_pool, RedisSeatInventory(redis))
    event = await first.create_event(seller, SHOW)
    stored = (await first.create_booking(buyer, request(event.id), "crash-1")).booking
    # A new process (fresh caches, fresh inbox) receives the client's retry.
    reborn = service(pg_pool, RedisSeatInventory(redis))
    again = await reborn.create_booking(buyer, request(event.id), "crash-1")
    assert (again.booking.id, again.replayed) == (stored.id, True)
    # One row: the key is the booking's own column, nothing in idempotency_keys.
    assert [tuple(r) for r in await rows(
        pg_pool, "SELECT id, idempotency_key FROM bookings WHERE buyer_id = $1",
        buyer.user_id)] == [(stored.id, "crash-1")]
    assert await rows(pg_pool, "SELECT 1 FROM idempotency_keys WHERE buyer_id = $1",
                      buyer.user_id) == []


async def test_concurrent_retries_with_one_key_make_one_booking(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    replies = await asyncio.gather(*(svc.create_booking(buyer, request(event.id), "same")
                                     for _ in range(10)))
    later = await svc.create_booking(buyer, request(event.id), "same")
    assert len({r.booking.id for r in [*replies, later]}) == 1
    assert sorted(r.replayed for r in replies) == [False] + [True] * 9 and later.replayed
    count = await rows(pg_pool, "SELECT id FROM bookings WHERE buyer_id = $1", buyer.user_id)
    assert len(count) == 1
    with pytest.raises(Conflict):
        await svc.create_booking(buyer, request(event.id, quantity=2), "same")


async def keys_of(pg_pool, buyer_id: int) -> list[tuple[uuid.UUID, str | None]]:
    """(booking id, its create key) of the buyer's bookings, oldest first."""
    return [tuple(r) for r in await rows(
        pg_pool, "SELECT id, idempotency_key FROM bookings WHERE buyer_id = $1 "
        "ORDER BY created_at", buyer_id)]


async def age(pg_pool, booking_id: uuid.UUID, seconds: int = 61) -> None:
    await rows(pg_pool, "UPDATE bookings SET created_at = created_at - make_interval(secs => $2) "
               "WHERE id = $1", booking_id, seconds)


async def test_an_expired_create_key_is_cleared_from_its_booking_and_taken_over(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis), idempotency_ttl_s=60)
    event = await svc.create_event(seller, SHOW)
    old = (await svc.create_booking(buyer, request(event.id), "k")).booking
    await age(pg_pool, old.id)
    new = await svc.create_booking(buyer, request(event.id), "k")
    assert new.booking.id != old.id and not new.replayed
    assert await keys_of(pg_pool, buyer.user_id) == [(old.id, None), (new.booking.id, "k")]
    again = await svc.create_booking(buyer, request(event.id), "k")
    assert (again.booking.id, again.replayed) == (new.booking.id, True)


async def test_an_expired_pay_key_is_taken_over_and_purged(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis), idempotency_ttl_s=60)
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert await uow.keys.claim(buyer.user_id, "p", Operation.PAY, uuid.uuid4(), 60)
    await rows(pg_pool, "UPDATE idempotency_keys SET created_at = now() - interval '61 s' "
               "WHERE buyer_id = $1", buyer.user_id)
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert await uow.keys.find(buyer.user_id, "p", 60) is None
        assert await uow.keys.claim(buyer.user_id, "p", Operation.CANCEL, uuid.uuid4(), 60)
    await rows(pg_pool, "UPDATE idempotency_keys SET created_at = now() - interval '61 s' "
               "WHERE buyer_id = $1", buyer.user_id)
    await svc.relay_outbox()
    assert await rows(pg_pool, "SELECT 1 FROM idempotency_keys WHERE buyer_id = $1",
                      buyer.user_id) == []


async def test_a_create_key_and_a_pay_key_share_one_namespace(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis), idempotency_ttl_s=60)
    event = await svc.create_event(seller, SHOW)
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert await uow.keys.claim(buyer.user_id, "p", Operation.PAY, uuid.uuid4(), 60)
    with pytest.raises(Conflict):  # a live pay key: the create stores nothing
        await svc.create_booking(buyer, request(event.id), "p")
    assert await keys_of(pg_pool, buyer.user_id) == []
    created = (await svc.create_booking(buyer, request(event.id), "c")).booking
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert (await uow.keys.find(buyer.user_id, "c", 60)).booking.id == created.id
        assert not await uow.keys.claim(buyer.user_id, "c", Operation.CANCEL, created.id, 60)
    await age(pg_pool, created.id)  # expired: the key is free for pay or cancel
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert await uow.keys.claim(buyer.user_id, "c", Operation.CANCEL, created.id, 60)
    _, other = await principals(pg_pool)  # another buyer's keys never collide
    assert not (await svc.create_booking(other, request(event.id), "p")).replayed


class HookedPool:
    """The pool, whose connections run `hook` once right after the first statement that
    starts with `after` (e.g. the group commit's INSERT): another request's write lands
    exactly between two statements of the inbox."""

    def __init__(self, pool, after: str, hook) -> None:
        self.pool, self.after, self.hook, self.ran = pool, after, hook, False

    @contextlib.asynccontextmanager
    async def acquire(self, timeout=None):
        async with self.pool.acquire(timeout=timeout) as conn:
            yield HookedConnection(conn, self)


class HookedConnection:
    def __init__(self, conn, owner: HookedPool) -> None:
        self.conn, self.owner = conn, owner

    def __getattr__(self, name):
        return getattr(self.conn, name)

    async def fetch(self, sql: str, *args):
        result = await self.conn.fetch(sql, *args)
        if not self.owner.ran and sql.lstrip().startswith(self.owner.after):
            self.owner.ran = True
            await self.owner.hook()
        return result


def draft_of(booking, **changes):
    """A new booking draft asking for what `booking` asked for (a fresh id and time)."""
    now = datetime.now(UTC)
    return dataclasses.replace(booking, id=uuid.uuid4(), created_at=now, updated_at=now,
                               **changes)


async def test_a_key_whose_booking_expires_between_the_conflict_and_the_lookup_is_taken(
        pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis), idempotency_ttl_s=60)
    event = await svc.create_event(seller, SHOW)
    old = (await svc.create_booking(buyer, request(event.id), "k")).booking
    # The insert conflicts with the live key; then the old booking passes the TTL.
    pool = HookedPool(pg_pool, "INSERT INTO bookings", lambda: age(pg_pool, old.id))
    draft = draft_of(old)
    assert await PostgresBookingInbox(pool, key_ttl_s=60).add(draft, "k") is None
    assert pool.ran
    assert await keys_of(pg_pool, buyer.user_id) == [(old.id, None), (draft.id, "k")]


async def test_a_key_a_newer_booking_took_between_the_conflict_and_the_clear_is_kept(
        pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis), idempotency_ttl_s=60)
    event = await svc.create_event(seller, SHOW)
    old = (await svc.create_booking(buyer, request(event.id), "k")).booking
    await age(pg_pool, old.id)
    rival = draft_of(old)

    async def rival_takes_the_key():
        assert await PostgresBookingInbox(pg_pool, key_ttl_s=60).add(rival, "k") is None

    # Our insert conflicts with the expired key; before our clear, a rival clears it and
    # commits a booking under it: our clear must not touch the rival's, we answer with it.
    pool = HookedPool(pg_pool, "INSERT INTO bookings", rival_takes_the_key)
    use = await PostgresBookingInbox(pool, key_ttl_s=60).add(draft_of(old), "k")
    assert pool.ran
    assert (use.operation, use.booking.id) == (Operation.CREATE, rival.id)
    assert await keys_of(pg_pool, buyer.user_id) == [(old.id, None), (rival.id, "k")]


async def test_a_pay_key_loses_to_a_create_committed_between_the_read_and_the_write(
        pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert await uow.keys.find(buyer.user_id, "k", 60) is None  # the read: unused
        created = (await svc.create_booking(buyer, request(event.id), "k")).booking
        assert not await uow.keys.claim(buyer.user_id, "k", Operation.PAY, created.id, 60)
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert (await uow.keys.find(buyer.user_id, "k", 60)).operation is Operation.CREATE
    assert await rows(pg_pool, "SELECT 1 FROM idempotency_keys WHERE buyer_id = $1",
                      buyer.user_id) == []


async def test_migration_0011_moves_create_keys_into_bookings_and_back(
        pg_pool, redis, database_settings):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    keyed = (await svc.create_booking(buyer, request(event.id), "c")).booking
    plain = (await svc.create_booking(buyer, request(event.id))).booking
    vanished = uuid.uuid4()
    conn = await asyncpg.connect(asyncpg_dsn(database_settings.url))  # its own: DDL below
    try:
        async with conn.transaction():  # rolled back at the end
            await run(conn, migration.DOWNGRADE)
            assert await conn.fetchval(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = "
                "'bookings' AND column_name = 'idempotency_key'") == 0
            moved = await conn.fetch("SELECT key, operation, booking_id FROM idempotency_keys "
                                     "WHERE buyer_id = $1", buyer.user_id)
            assert [tuple(r) for r in moved] == [("c", "create", keyed.id)]
            await conn.execute("INSERT INTO idempotency_keys (buyer_id, key, operation, "
                               "booking_id) VALUES ($1, 'gone', 'create', $2)",
                               buyer.user_id, vanished)
            await run(conn, migration.UPGRADE)
            got = await conn.fetch("SELECT id, idempotency_key FROM bookings WHERE buyer_id = "
                                   "$1", buyer.user_id)
            assert {tuple(r) for r in got} == {(keyed.id, "c"), (plain.id, None)}
            left = await conn.fetch("SELECT key, booking_id FROM idempotency_keys "
                                    "WHERE buyer_id = $1", buyer.user_id)
            assert [tuple(r) for r in left] == [("gone", vanished)]
            raise Rollback
    except Rollback:
        pass
    finally:
        await conn.close()


class Rollback(Exception):
    """Leaves the migration test's transaction without committing."""


async def run(conn, script: str) -> None:
    """A migration script, statement by statement, as `migration_sql.run_script` runs it."""
    for statement in script.split(";\n"):
        if statement.strip():
            await conn.execute(statement)


async def test_a_key_claimed_between_the_read_and_the_write_is_not_taken(pg_pool):
    _, buyer = await principals(pg_pool)
    booking_id = uuid.uuid4()
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert await uow.keys.find(buyer.user_id, "k", 60) is None  # the read: unused
        async with PostgresUnitOfWork(pg_pool) as other:  # another request commits first
            assert await other.keys.claim(buyer.user_id, "k", Operation.PAY, booking_id, 60)
        assert not await uow.keys.claim(buyer.user_id, "k", Operation.CANCEL, booking_id, 60)
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert (await uow.keys.find(buyer.user_id, "k", 60)).operation is Operation.PAY


async def test_a_retried_pay_is_answered_from_its_key_after_a_crash(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    booking = (await svc.create_booking(buyer, BookingRequest(
        event.id, "A", 1, 2, SeatSelectionMode.MANUAL, ["1-1", "1-2"]))).booking
    await hold(pg_pool, booking, event.id)
    first = await svc.pay_booking(buyer, booking.id, "pay-1")
    again = await service(pg_pool, RedisSeatInventory(redis)).pay_booking(
        buyer, booking.id, "pay-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.booking.status is BookingStatus.COMPLETED


async def test_the_inbox_resolves_a_taken_key_to_its_booking(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    stored = (await svc.create_booking(buyer, request(event.id), "k")).booking
    inbox = PostgresBookingInbox(pg_pool)
    use = await inbox.find(buyer.user_id, "k")
    assert (use.operation, use.booking.id) == (Operation.CREATE, stored.id)
    assert await inbox.find(buyer.user_id, "unknown") is None
