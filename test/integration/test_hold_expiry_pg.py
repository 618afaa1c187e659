"""The payment deadline against the real PostgreSQL and redis-server (spec/booking.md, rule 6):
the reservation service's settle writes `expires_at`, pay and the expiry sweeper race on one
compare-and-set and exactly one wins (in PostgreSQL and on the buyer's pub/sub channel),
sweepers skip rows a pay holds and share the due bookings, and an expired booking's seats
count as free for the load tool's verifier."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from deploy.loadtest import verify
from src.service.contract import BookingStatusUpdate, booking_status_channel
from src.service.lifecycle import BookingStatus
from src.service.reservation.adapters.postgres import PostgresBookingLedger
from src.service.reservation.application.ports import Settlement
from src.service.seats import parse_all
from src.service.ticketing.adapters.kvrocks import (
    RedisPubSubLink,
    RedisSeatInventory,
    RedisStatusNotifier,
)
from src.service.ticketing.adapters.postgres import PostgresUnitOfWork
from src.service.ticketing.adapters.postgres_acks import PostgresAckLog
from src.service.ticketing.adapters.postgres_inbox import PostgresBookingInbox
from src.service.ticketing.adapters.pubsub_hub import StatusHub
from src.service.ticketing.application.update_event import EventChange
from src.service.ticketing.bootstrap import build
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.settings import TicketingSettings
from test.integration.test_ticketing_adapters import SHOW, booked, principals
from test.ticketing_fakes import FixedClock
from test.ticketing_fakes_io import FakeFeed, PlainHasher, RecordingPublisher

EXPIRED, COMPLETED = BookingStatus.EXPIRED, BookingStatus.COMPLETED
DEADLINE = datetime(2030, 1, 1, tzinfo=UTC)  # every booking here gets this deadline


def wired(pg_pool, redis, clock: FixedClock, publisher=None):
    """The ticketing service over the real PostgreSQL and redis-server, at `clock`'s time."""
    config = TicketingSettings()
    return build(
        config, uow=lambda: PostgresUnitOfWork(pg_pool),
        inbox=PostgresBookingInbox(pg_pool, config.idempotency_ttl_s),
        inventory=RedisSeatInventory(redis), publisher=publisher or RecordingPublisher(),
        acks=PostgresAckLog(pg_pool), notifier=RedisStatusNotifier(redis),
        feed=FakeFeed(), hasher=PlainHasher(), clock=clock,  # no stream is opened here
    )


async def held_bookings(pg_pool, svc, buyer, event_id, count: int, deadline=DEADLINE):
    """`count` one-seat bookings settled by the reservation service's ledger (seats 1-1, 1-2,
    … of A:1), then given the deadline `deadline`."""
    seats = [f"{1 + i // 10}-{1 + i % 10}" for i in range(count)]
    bookings = [await booked(svc, buyer, event_id, (s,)) for s in seats]
    await PostgresBookingLedger(pg_pool).settle([
        Settlement(b.id, event_id, "A", 1, parse_all([s]), 500) for b, s in zip(
            bookings, seats, strict=True)])
    async with pg_pool.acquire() as conn:
        await conn.execute("UPDATE bookings SET expires_at = $2 WHERE id = ANY($1::uuid[])",
                           [b.id for b in bookings], deadline)
    return bookings


def ids(expiry) -> set:
    return {b.id for b in expiry.bookings}


async def statuses(pg_pool, bookings) -> dict:
    async with pg_pool.acquire() as conn:
        rows = await conn.fetch("SELECT id, status FROM bookings WHERE id = ANY($1::uuid[])",
                                [b.id for b in bookings])
    return {r["id"]: BookingStatus(r["status"]) for r in rows}


async def consistent(pg_pool, event_id) -> tuple[int, int, int]:
    """(oversold seats, ticket mismatches, stats mismatches) by the load tool's verifier."""
    async with pg_pool.acquire() as conn:
        return (await verify.oversold_seats(conn, event_id),
                await verify.ticket_mismatches(conn, event_id),
                await verify.stats_mismatches(conn, event_id))


async def test_the_settle_writes_the_deadline_of_the_event_and_none_without_one(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = wired(pg_pool, redis, FixedClock())
    limited = await svc.create_event(seller, replace(SHOW, hold_seconds=30))
    unlimited = await svc.create_event(seller, SHOW)
    a, b = await booked(svc, buyer, limited.id), await booked(svc, buyer, unlimited.id)
    refused = await booked(svc, buyer, limited.id, ("2-1",))
    async with pg_pool.acquire() as conn:
        before = await conn.fetchval("SELECT now()")
    result = await PostgresBookingLedger(pg_pool).settle([
        Settlement(a.id, limited.id, "A", 1, parse_all(["1-1", "1-2"]), 1000),
        Settlement(b.id, unlimited.id, "A", 1, parse_all(["1-1", "1-2"]), 1000),
        Settlement(refused.id, limited.id, "A", 1, (), 0, "Not enough seats available")])
    got = result.bookings
    assert timedelta(seconds=30) <= got[a.id].expires_at - before < timedelta(seconds=35)
    assert got[b.id].expires_at is None and got[refused.id].expires_at is None
    answer = (await svc.get_booking(buyer, a.id)).booking
    assert answer.expires_at == got[a.id].expires_at


async def test_pay_and_expiry_race_and_exactly_one_wins(pg_pool, redis, kvrocks_settings):
    seller, buyer = await principals(pg_pool)
    payer = wired(pg_pool, redis, FixedClock(DEADLINE - timedelta(milliseconds=1)))
    sweeper = wired(pg_pool, redis, FixedClock(DEADLINE))
    event = await payer.create_event(seller, replace(SHOW, hold_seconds=30))
    bookings = await held_bookings(pg_pool, payer, buyer, event.id, 24)
    sweep = replace(sweeper.expire_holds, batch=3)

    async def pay(booking):
        try:
            await payer.pay_booking(buyer, booking.id)
            return COMPLETED
        except InvalidRequest as e:
            assert str(e) == "Booking has expired"
            return EXPIRED

    channel = booking_status_channel(buyer.user_id, event.id)
    hub = StatusHub(lambda: RedisPubSubLink.open(kvrocks_settings))
    try:
        async with hub.subscribe(channel) as messages:
            results = await asyncio.gather(*(pay(b) for b in bookings),
                                           *(sweep() for _ in range(8)))
            while await sweep():
                pass
            heard = await _final_updates(messages, len(bookings))
    finally:
        await hub.aclose()
    answers = dict(zip((b.id for b in bookings), results[:len(bookings)], strict=True))
    assert await statuses(pg_pool, bookings) == answers  # the answer is what PostgreSQL kept
    assert {i: u.status for i, u in heard.items()} == answers  # one final update per booking
    async with pg_pool.acquire() as conn:
        sold = await conn.fetchval("SELECT count(*) FROM tickets WHERE event_id = $1 AND "
                                   "status = 'sold'", event.id)
        issued = await conn.fetchval("SELECT count(*) FROM issued_tickets WHERE event_id = $1",
                                     event.id)
    paid = sum(s is COMPLETED for s in answers.values())
    assert sold == issued == paid
    assert await consistent(pg_pool, event.id) == (0, 0, 0)


async def _final_updates(messages, count: int) -> dict:
    """The final status heard per booking on the channel, once `count` were heard (5 s)."""
    heard: dict = {}

    async def listen():
        async for raw in messages:
            update = BookingStatusUpdate.model_validate_json(raw)
            assert update.booking_id not in heard, f"two final updates for {update.booking_id}"
            heard[update.booking_id] = update
            if len(heard) == count:
                return

    await asyncio.wait_for(listen(), timeout=5)
    return heard


async def test_a_pay_between_the_sweepers_read_and_write_is_skipped_then_kept(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = wired(pg_pool, redis, FixedClock(DEADLINE))
    event = await svc.create_event(seller, replace(SHOW, hold_seconds=30))
    [booking] = await held_bookings(pg_pool, svc, buyer, event.id, 1)
    async with PostgresUnitOfWork(pg_pool) as paying:  # a pay in time holds the row...
        assert await paying.bookings.pay(booking, DEADLINE - timedelta(seconds=1)) is not None
        async with PostgresUnitOfWork(pg_pool) as uow:  # ...the sweeper skips it, no waiting
            swept = await asyncio.wait_for(uow.bookings.expire_due(DEADLINE, 1000), 5)
        assert booking.id not in ids(swept)
    async with PostgresUnitOfWork(pg_pool) as uow:  # paid: the status guard leaves it alone
        later = DEADLINE + timedelta(days=1)
        assert booking.id not in ids(await uow.bookings.expire_due(later, 1000))
    assert await statuses(pg_pool, [booking]) == {booking.id: COMPLETED}


async def test_a_pay_that_read_before_the_expiry_loses_its_compare_and_set(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = wired(pg_pool, redis, FixedClock(DEADLINE))
    event = await svc.create_event(seller, replace(SHOW, hold_seconds=30))
    [booking] = await held_bookings(pg_pool, svc, buyer, event.id, 1)
    async with PostgresUnitOfWork(pg_pool) as uow:
        read = await uow.bookings.get(booking.id)  # pending_payment, in time
    assert await svc.expire_holds() >= 1
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert await uow.bookings.pay(read, DEADLINE - timedelta(seconds=1)) is None
    # The deadline is part of the compare-and-set too, not only the status.
    [other] = await held_bookings(pg_pool, svc, buyer, event.id, 1, DEADLINE + timedelta(1))
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert await uow.bookings.pay(other, DEADLINE + timedelta(1)) is None
    assert await statuses(pg_pool, [booking, other]) == {
        booking.id: EXPIRED, other.id: BookingStatus.PENDING_PAYMENT}


async def test_concurrent_sweepers_share_the_due_bookings(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = wired(pg_pool, redis, FixedClock(DEADLINE))
    # Earlier than any other test's deadline, so only these bookings are due; the first
    # sweeper takes the four of one event (the earliest), the second the six of another.
    early = DEADLINE - timedelta(days=365)
    one, two = [await svc.create_event(seller, replace(SHOW, hold_seconds=30)) for _ in (1, 2)]
    first_four = await held_bookings(pg_pool, svc, buyer, one.id, 4, early - timedelta(1))
    last_six = await held_bookings(pg_pool, svc, buyer, two.id, 6, early - timedelta(0.5))
    claimed, second_done = asyncio.Event(), asyncio.Event()

    async def first() -> set:
        async with PostgresUnitOfWork(pg_pool) as uow:
            mine = ids(await uow.bookings.expire_due(early, 4))
            claimed.set()
            # Still holding its rows: the second sweeper must finish without waiting for them.
            await asyncio.wait_for(second_done.wait(), 5)
        return mine

    async def second() -> set:
        await claimed.wait()
        async with PostgresUnitOfWork(pg_pool) as uow:
            mine = ids(await uow.bookings.expire_due(early, 1000))
        second_done.set()
        return mine

    a, b = await asyncio.gather(first(), second())
    assert a == {x.id for x in first_four} and b == {x.id for x in last_six}
    assert set((await statuses(pg_pool, first_four + last_six)).values()) == {EXPIRED}


async def test_an_expired_bookings_seats_are_free_for_the_next_buyer_and_the_verifier(
        pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = wired(pg_pool, redis, FixedClock(DEADLINE))
    event = await svc.create_event(seller, replace(SHOW, hold_seconds=30))
    [first] = await held_bookings(pg_pool, svc, buyer, event.id, 1)
    assert await svc.expire_holds() >= 1
    [second] = await held_bookings(pg_pool, svc, buyer, event.id, 1, DEADLINE + timedelta(1))
    assert await statuses(pg_pool, [first, second]) == {
        first.id: EXPIRED, second.id: BookingStatus.PENDING_PAYMENT}
    assert await consistent(pg_pool, event.id) == (0, 0, 0)
    async with pg_pool.acquire() as conn:
        row = await conn.fetchrow("SELECT release_pending, publish_attempts FROM bookings "
                                  "WHERE id = $1", first.id)
    assert (row["release_pending"], row["publish_attempts"]) == (False, 1)  # the release acked


async def test_a_changed_payment_deadline_applies_to_bookings_held_after_it(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = wired(pg_pool, redis, FixedClock())
    event = await svc.create_event(seller, SHOW)  # no deadline
    early = await booked(svc, buyer, event.id)
    held_early = await PostgresBookingLedger(pg_pool).settle([
        Settlement(early.id, event.id, "A", 1, parse_all(["1-1", "1-2"]), 1000)])
    changed = await svc.tickets.update_event(seller, event.id,
                                             EventChange({"hold_seconds": 60}))
    assert changed.hold_seconds == 60
    late = await booked(svc, buyer, event.id, ("2-1",))
    async with pg_pool.acquire() as conn:
        before = await conn.fetchval("SELECT now()")
        stored = await conn.fetchval("SELECT hold_seconds FROM events WHERE id = $1", event.id)
    held_late = await PostgresBookingLedger(pg_pool).settle([
        Settlement(late.id, event.id, "A", 1, parse_all(["2-1"]), 500)])
    assert stored == 60
    assert held_early.bookings[early.id].expires_at is None  # held before: no deadline
    deadline = held_late.bookings[late.id].expires_at
    assert timedelta(seconds=60) <= deadline - before < timedelta(seconds=65)
