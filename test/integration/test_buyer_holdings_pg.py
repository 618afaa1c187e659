"""Per-buyer counters (`buyer_holdings`, migration 0010) against the real PostgreSQL
(spec/booking.md, rules 11–12; spec/decisions.md, "Per-buyer limits are counted in
buyer_holdings, kept by triggers"): they equal a recount of the bookings after every kind of
move, count each status as `lifecycle` says, are made again without a race when a limit is
turned on, and a limited batch reads them as committed after waiting for their lock."""

import asyncio
import uuid
from dataclasses import replace

import pytest

from src.service.lifecycle import (
    CANCEL_UNSETTLED,
    EXPIRE,
    GIVE_UP,
    LIMIT_COUNTED,
    OPEN,
    REFUND_BOOKING,
    REFUSE,
    BookingStatus,
)
from src.service.ticketing.adapters.kvrocks import RedisSeatInventory
from src.service.ticketing.adapters.postgres_holdings import holding_drift
from src.service.ticketing.application.update_event import EventChange
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.sales import SalesPolicy
from test.integration.test_ticketing_adapters import SHOW, booked, hold, principals, service

INSERT = (
    "INSERT INTO bookings (id, buyer_id, event_id, section, subsection, quantity, "
    "seat_selection_mode, total_price, status) VALUES ($1, $2, $3, 'A', 1, $4, "
    "'best_available', 0, $5)")


async def counters(pg_pool, event_id: int) -> dict[int, tuple[int, int]]:
    """buyer id → (tickets, open bookings), the non-zero counters of the event."""
    async with pg_pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT buyer_id, tickets, open_bookings FROM buyer_holdings WHERE event_id = $1 "
            "AND (tickets, open_bookings) <> (0, 0)", event_id)
    return {r["buyer_id"]: (r["tickets"], r["open_bookings"]) for r in rows}


async def drift(pg_pool, event_id: int) -> int:
    async with pg_pool.acquire() as conn:
        return await holding_drift(conn, event_id)


async def move(pg_pool, booking_id, transition) -> None:
    """A compare-and-set of `transition`, as whichever service owns it would run it."""
    async with pg_pool.acquire() as conn:
        done = await conn.execute(
            f"UPDATE bookings SET status = '{transition.target}' WHERE id = $1 "
            f"AND {transition.guard()}", booking_id)
    assert done == "UPDATE 1"


async def test_counters_equal_a_recount_after_a_mixed_workload(pg_pool, redis):
    seller, alice = await principals(pg_pool)
    _, bob = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, replace(
        SHOW, sales=SalesPolicy(max_tickets_per_buyer=20)))
    rows = iter(range(1, 11))
    made = {}
    for name, buyer in (("paid", alice), ("cancelled_held", alice), ("refused", alice),
                        ("held", alice), ("cancelled", bob), ("expired", bob),
                        ("refunded", bob), ("given_up", bob), ("open", bob)):
        row = next(rows)
        made[name] = await booked(svc, buyer, event.id, (f"{row}-1", f"{row}-2"))
    for name in ("paid", "cancelled_held", "held", "expired", "refunded"):
        await hold(pg_pool, made[name], event.id, row=int(made[name].seat_positions[0].row))
    await svc.pay_booking(alice, made["paid"].id)
    await svc.cancel_booking(alice, made["cancelled_held"].id)
    await svc.cancel_booking(bob, made["cancelled"].id)
    await move(pg_pool, made["refused"].id, REFUSE)  # the reservation service's batch
    await move(pg_pool, made["given_up"].id, GIVE_UP)  # the outbox relay gives up
    await move(pg_pool, made["expired"].id, EXPIRE)  # the expiry sweeper
    await svc.pay_booking(bob, made["refunded"].id)
    await move(pg_pool, made["refunded"].id, REFUND_BOOKING)  # its last ticket refunded
    assert await counters(pg_pool, event.id) == {
        alice.user_id: (4, 1),  # paid and held
        bob.user_id: (2, 1)}  # open
    assert await drift(pg_pool, event.id) == 0
    async with pg_pool.acquire() as conn:  # a counter knocked off is found
        await conn.execute("UPDATE buyer_holdings SET tickets = tickets - 1 WHERE event_id = $1 "
                           "AND buyer_id = $2", event.id, bob.user_id)
    assert await drift(pg_pool, event.id) == 1
    async with pg_pool.acquire() as conn:  # seats were moved by hand: no later test books here
        await conn.execute("UPDATE events SET status = 'closed' WHERE id = $1", event.id)


@pytest.mark.parametrize("status", list(BookingStatus))
async def test_each_status_counts_as_the_lifecycle_says(pg_pool, redis, status):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, replace(
        SHOW, sales=SalesPolicy(one_open_booking_per_buyer=True)))
    expected = (3 * (status in LIMIT_COUNTED), int(status in OPEN))
    inserted, moved = uuid.uuid4(), uuid.uuid4()
    async with pg_pool.acquire() as conn:
        await conn.execute(INSERT, inserted, buyer.user_id, event.id, 3, str(status))
        assert await counters(pg_pool, event.id) == ({buyer.user_id: expected}
                                                     if any(expected) else {})
        await conn.execute("DELETE FROM bookings WHERE id = $1", inserted)
        await conn.execute(INSERT, moved, buyer.user_id, event.id, 3, "processing")
        await conn.execute("UPDATE bookings SET status = $2 WHERE id = $1", moved, str(status))
    assert await counters(pg_pool, event.id) == ({buyer.user_id: expected}
                                                 if any(expected) else {})


async def test_an_event_without_limits_has_no_counters(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    await booked(svc, buyer, event.id)
    assert await counters(pg_pool, event.id) == {}


async def test_turning_a_limit_on_waits_for_a_move_in_flight_and_counts_it(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    first = await booked(svc, buyer, event.id, ("1-1", "1-2"))
    await booked(svc, buyer, event.id, ("2-1",))
    async with pg_pool.acquire() as other:
        tx = other.transaction()
        await tx.start()
        await other.execute(  # a cancel, not yet committed, while the limit is still off
            f"UPDATE bookings SET status = 'cancelled' WHERE id = $1 AND "
            f"{CANCEL_UNSETTLED.guard()}", first.id)
        change = asyncio.create_task(svc.tickets.update_event(
            seller, event.id, EventChange({"max_tickets_per_buyer": 4})))
        await asyncio.sleep(0.3)
        assert not change.done()  # the change waits for every booking write in flight
        await tx.commit()
    await change
    assert await counters(pg_pool, event.id) == {buyer.user_id: (1, 1)}
    assert await drift(pg_pool, event.id) == 0


async def test_a_booking_inserted_inside_the_change_window_is_counted_once(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    await booked(svc, buyer, event.id, ("1-1", "1-2"))
    await svc.layouts(event.id)  # the accept path still believes the event has no limit
    async with pg_pool.acquire() as other:
        tx = other.transaction()
        await tx.start()
        # Another change of the event holds its row: ours takes the table lock, then waits.
        await other.execute("SELECT 1 FROM events WHERE id = $1 FOR UPDATE", event.id)
        change = asyncio.create_task(svc.tickets.update_event(
            seller, event.id, EventChange({"max_tickets_per_buyer": 4})))
        await asyncio.sleep(0.3)
        late = asyncio.create_task(booked(svc, buyer, event.id, ("2-1",)))
        await asyncio.sleep(0.3)
        assert not change.done() and not late.done()
        await tx.commit()
    await change
    await late
    assert await counters(pg_pool, event.id) == {buyer.user_id: (3, 2)}
    assert await drift(pg_pool, event.id) == 0
    with pytest.raises(InvalidRequest, match="you already have 3"):
        await booked(svc, buyer, event.id, ("3-1", "3-2"))


async def test_turning_the_limits_off_drops_the_counters(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, replace(
        SHOW, sales=SalesPolicy(max_tickets_per_buyer=4)))
    await booked(svc, buyer, event.id)
    await svc.tickets.update_event(seller, event.id, EventChange({"max_tickets_per_buyer": None}))
    await booked(svc, buyer, event.id, ("2-1", "2-2", "2-3"))
    assert await counters(pg_pool, event.id) == {}
    await svc.tickets.update_event(seller, event.id, EventChange({"max_tickets_per_buyer": 6}))
    assert await counters(pg_pool, event.id) == {buyer.user_id: (5, 2)}


@pytest.mark.parametrize(("outcome", "refused"), [("commit", False), ("rollback", True)])
async def test_a_booking_going_final_while_a_batch_reads_the_counter(pg_pool, redis, outcome,
                                                                     refused):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, replace(
        SHOW, sales=SalesPolicy(max_tickets_per_buyer=4)))
    full = await booked(svc, buyer, event.id, ("1-1", "1-2", "1-3", "1-4"))
    async with pg_pool.acquire() as other:
        tx = other.transaction()
        await tx.start()
        # The reservation service refuses the booking: its trigger holds the counter's lock.
        await other.execute(f"UPDATE bookings SET status = 'failed' WHERE id = $1 AND "
                            f"{REFUSE.guard()}", full.id)
        ours = asyncio.create_task(booked(svc, buyer, event.id, ("2-1", "2-2")))
        await asyncio.sleep(0.3)
        assert not ours.done()  # it waits for the counter, having read nothing yet
        await (tx.commit() if outcome == "commit" else tx.rollback())
    if refused:
        with pytest.raises(InvalidRequest, match="you already have 4"):
            await ours
        assert await counters(pg_pool, event.id) == {buyer.user_id: (4, 1)}
    else:
        await ours
        assert await counters(pg_pool, event.id) == {buyer.user_id: (2, 1)}
    assert await drift(pg_pool, event.id) == 0

