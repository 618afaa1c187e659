"""The PostgreSQL ledger: one transaction per batch, compare-and-sets of the `hold` and
`refuse` transitions, ticket counts (spec/architecture.md, guarantee 2 and "Lifecycle")."""

import uuid

import pytest

from src.service.lifecycle import BookingStatus
from src.service.reservation.adapters.postgres import PostgresBookingLedger
from src.service.reservation.application.ports import SeatConflict, Settlement
from src.service.reservation.domain.reasons import NOT_PROCESSED, WAS_CANCELLED
from test.integration.factories import insert_event, insert_user
from test.reservation_fakes import seat_positions

PENDING, FAILED = BookingStatus.PENDING_PAYMENT, BookingStatus.FAILED


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
    return Settlement(booking_id, event_id, "A", 1, seat_positions(*positions), total_price=2000)


def failed(booking_id, event_id, reason="Not enough seats available"):
    return Settlement(booking_id, event_id, "A", 1, (), 0, reason)


async def test_a_batch_settles_processing_bookings_only(pg_pool, event):
    event_id, buyer = event
    async with pg_pool.acquire() as conn:
        ok, lost, gone = [await insert_booking(conn, buyer, event_id) for _ in range(3)]
        await conn.execute("UPDATE bookings SET status = 'cancelled' WHERE id = $1", gone)

    result = await PostgresBookingLedger(pg_pool).settle([
        held(ok, event_id, "1-1", "1-2"), failed(lost, event_id), held(gone, event_id, "2-1"),
    ])

    states = result.bookings
    assert (states[ok].status, states[ok].changed) == (PENDING, True)
    assert states[ok].seat_positions == seat_positions("1-1", "1-2")
    assert states[ok].total_price == 2000
    assert (states[lost].status, states[lost].changed) == (FAILED, True)
    assert states[lost].failure_reason == "Not enough seats available"
    assert (states[gone].status, states[gone].changed) == (BookingStatus.CANCELLED, False)
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

    assert (again.bookings[booking].status, again.bookings[booking].changed) == (PENDING, False)
    assert again.bookings[booking].seat_positions == seat_positions("1-3")
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


async def test_refuse_is_a_compare_and_set(pg_pool, event):
    event_id, buyer = event
    async with pg_pool.acquire() as conn:
        booking = await insert_booking(conn, buyer, event_id)
    ledger = PostgresBookingLedger(pg_pool)

    first = (await ledger.settle([failed(booking, event_id, NOT_PROCESSED)])).bookings
    second = (await ledger.settle([failed(booking, event_id, WAS_CANCELLED)])).bookings

    assert (first[booking].status, first[booking].changed) == (FAILED, True)
    assert first[booking].failure_reason == NOT_PROCESSED
    assert (second[booking].changed, second[booking].failure_reason) == (False, NOT_PROCESSED)
    assert (await ledger.settle([failed(uuid.uuid4(), event_id, "nobody")])).bookings == {}


async def test_a_refused_manual_booking_keeps_the_seats_it_asked_for(pg_pool, event):
    event_id, buyer = event
    async with pg_pool.acquire() as conn:
        booking = await insert_booking(conn, buyer, event_id)
        await conn.execute("UPDATE bookings SET seat_positions = '{2-1,2-2}', total_price = 9 "
                           "WHERE id = $1", booking)

    result = await PostgresBookingLedger(pg_pool).settle([failed(booking, event_id)])

    state = result.bookings[booking]
    assert (state.status, state.seat_positions, state.total_price) == (
        FAILED, seat_positions("2-1", "2-2"), 9
    )
    assert result.subsections == []
