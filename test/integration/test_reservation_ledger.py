"""The PostgreSQL ledger: one transaction per batch, compare-and-sets, ticket counts."""

import uuid

import pytest

from src.service.reservation.adapters.postgres import PostgresBookingLedger
from src.service.reservation.application.ports import SeatConflict, Settlement
from test.integration.factories import insert_event, insert_user


async def insert_booking(conn, buyer_id: int, event_id: int, status: str = "processing"):
    booking_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO bookings (id, buyer_id, event_id, section, subsection, quantity, "
        "seat_selection_mode, status) VALUES ($1, $2, $3, 'A', 1, 2, 'best_available', $4)",
        booking_id, buyer_id, event_id, status,
    )
    return booking_id


@pytest.fixture
async def event(pg_pool):
    async with pg_pool.acquire() as conn:
        seller, buyer = await insert_user(conn, "seller"), await insert_user(conn)
        event_id = await insert_event(conn, seller, rows=2, cols=3)
    return event_id, buyer


def held(booking_id, event_id, *positions):
    return Settlement(booking_id, event_id, "A", 1, positions, total_price=2000)


def failed(booking_id, event_id):
    return Settlement(booking_id, event_id, "A", 1, (), 0, "not enough seats available")


async def test_a_batch_settles_processing_bookings_only(pg_pool, event):
    event_id, buyer = event
    async with pg_pool.acquire() as conn:
        ok, lost, gone = [await insert_booking(conn, buyer, event_id) for _ in range(3)]
        await conn.execute("UPDATE bookings SET status = 'cancelled' WHERE id = $1", gone)

    result = await PostgresBookingLedger(pg_pool).settle([
        held(ok, event_id, "1-1", "1-2"), failed(lost, event_id), held(gone, event_id, "2-1"),
    ])

    states = result.bookings
    assert (states[ok].status, states[ok].changed) == ("pending_payment", True)
    assert states[ok].seat_positions == ("1-1", "1-2") and states[ok].total_price == 2000
    assert (states[lost].status, states[lost].changed) == ("failed", True)
    assert states[lost].failure_reason == "not enough seats available"
    assert (states[gone].status, states[gone].changed) == ("cancelled", False)
    assert [(s.available, s.reserved, s.sold) for s in result.subsections] == [(4, 2, 0)]
    async with pg_pool.acquire() as conn:
        tickets = await conn.fetch(
            "SELECT row, seat, booking_id FROM tickets WHERE event_id = $1 AND status = 'reserved' "
            "ORDER BY row, seat", event_id,
        )
    assert [(t["row"], t["seat"], t["booking_id"]) for t in tickets] == [(1, 1, ok), (1, 2, ok)]


async def test_a_redelivered_batch_changes_nothing(pg_pool, event):
    event_id, buyer = event
    async with pg_pool.acquire() as conn:
        booking = await insert_booking(conn, buyer, event_id)
    ledger = PostgresBookingLedger(pg_pool)
    await ledger.settle([held(booking, event_id, "1-3")])

    again = await ledger.settle([held(booking, event_id, "1-3")])

    assert (again.bookings[booking].status, again.bookings[booking].changed) == (
        "pending_payment", False
    )
    assert again.subsections == []


async def test_a_seat_not_available_in_postgres_rolls_the_batch_back(pg_pool, event):
    event_id, buyer = event
    async with pg_pool.acquire() as conn:
        first, second = [await insert_booking(conn, buyer, event_id) for _ in range(2)]
    ledger = PostgresBookingLedger(pg_pool)
    await ledger.settle([held(first, event_id, "2-2")])

    with pytest.raises(SeatConflict):
        await ledger.settle([held(second, event_id, "2-2", "2-3")])

    async with pg_pool.acquire() as conn:
        assert await conn.fetchval("SELECT status FROM bookings WHERE id = $1", second) == (
            "processing"
        )
        assert await conn.fetchval(
            "SELECT status FROM tickets WHERE event_id = $1 AND row = 2 AND seat = 3", event_id
        ) == "available"


async def test_fail_is_a_compare_and_set(pg_pool, event):
    event_id, buyer = event
    async with pg_pool.acquire() as conn:
        booking = await insert_booking(conn, buyer, event_id)
    ledger = PostgresBookingLedger(pg_pool)

    first = await ledger.fail(booking, "SeatConflict: x")
    second = await ledger.fail(booking, "other")

    assert (first.status, first.changed) == ("failed", True)
    assert first.failure_reason == "SeatConflict: x"
    assert (second.changed, second.failure_reason) == (False, "SeatConflict: x")
    assert await ledger.fail(uuid.uuid4(), "nobody") is None
