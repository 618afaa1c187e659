"""Refunds against the real PostgreSQL: what one transaction moves, a refund racing a gate,
the compare-and-set losing between its read and its write, and the seat held again by the
reservation service's own statement (spec/tickets.md, rule 15)."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from src.service.contract import BookingCancelled
from src.service.lifecycle import BookingStatus, ScanOutcome
from src.service.reservation.adapters.postgres import PostgresBookingLedger
from src.service.reservation.application.ports import Settlement
from src.service.seats import SeatPosition
from src.service.ticketing.adapters.postgres import PostgresUnitOfWork
from src.service.ticketing.application.create_booking import BookingRequest
from src.service.ticketing.application.ticket_ports import RefundLost
from src.service.ticketing.domain.booking import SeatSelectionMode
from src.service.ticketing.domain.check_in import Scan
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.refund_policy import EventTerms, quote
from test.integration.test_ticketing_adapters import SHOW
from test.integration.test_tickets_pg import paid_tickets
from test.ticketing_fakes_io import RecordingPublisher

SOON = replace(SHOW, terms=EventTerms(starts_at=datetime.now(UTC) + timedelta(days=5)))


async def seat_row(pg_pool, event_id, row=1, seat=1):
    async with pg_pool.acquire() as conn:
        return await conn.fetchrow(
            "SELECT status, booking_id FROM tickets WHERE event_id = $1 AND section = 'A' "
            "AND subsection = 1 AND row = $2 AND seat = $3", event_id, row, seat)


async def test_a_refund_frees_the_seat_counts_it_records_it_and_refunds_the_booking_last(
    pg_pool
):
    publisher = RecordingPublisher()
    svc, _, buyer, event, booking, ids = await paid_tickets(pg_pool, draft=SOON,
                                                            publisher=publisher)
    done = await svc.tickets.refund_ticket(buyer, ids[0])
    assert (done.refund.percent, done.refund.amount, done.ticket.ticket.status) == (
        50, 250, "refunded")
    assert dict(await seat_row(pg_pool, event.id)) == {"status": "available", "booking_id": None}
    stats = (await svc.get_event(event.id)).stats[0]
    assert (stats.available, stats.sold) == (99, 1)
    [release] = [c for c in publisher.sent if isinstance(c, BookingCancelled)]
    assert (release.only.seat_positions, release.only.cols) == (["1-1"], 10)
    async with pg_pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM refunds WHERE id = $1", done.refund.id)
        status = await conn.fetchval("SELECT status FROM bookings WHERE id = $1", booking.id)
    assert (row["amount"], row["provider_ref"], row["release_pending"], status) == (
        250, f"mock-refund-{done.refund.id}", False, "completed")
    rest = await svc.tickets.refund_booking(buyer, booking.id)
    assert rest.booking.status is BookingStatus.REFUNDED and len(rest.refunds) == 1


async def test_a_refund_racing_a_gate_loses_or_wins_whole(pg_pool):
    svc, seller, buyer, event, _, ids = await paid_tickets(pg_pool, draft=SOON)
    code = (await svc.tickets.get(buyer, ids[0])).ticket.code
    refund, scan = await asyncio.gather(svc.tickets.refund_ticket(buyer, ids[0]),
                                        svc.tickets.check_in(seller, event.id, Scan(code)),
                                        return_exceptions=True)
    if isinstance(refund, InvalidRequest):  # the gate won: nothing was refunded
        assert scan.outcome is ScanOutcome.CHECKED_IN
        assert (await seat_row(pg_pool, event.id))["status"] == "sold"
    else:  # the refund won: the gate was told so
        assert scan.outcome is ScanOutcome.REFUNDED
        assert (await seat_row(pg_pool, event.id))["status"] == "available"


async def test_the_refund_compare_and_set_loses_to_a_change_between_read_and_write(pg_pool):
    svc, _, buyer, event, booking, ids = await paid_tickets(pg_pool, draft=SOON)
    stale = (await svc.tickets.get(buyer, ids[0])).ticket  # read valid...
    async with pg_pool.acquire() as conn:  # ...then checked in by a gate
        await conn.execute("UPDATE issued_tickets SET status = 'checked_in', "
                           "checked_in_at = now() WHERE id = $1", ids[0])
    terms = (await svc.get_event(event.id)).terms
    with pytest.raises(RefundLost):
        async with PostgresUnitOfWork(pg_pool) as uow:
            await uow.refunds.refund(booking, [stale], [quote(terms, datetime.now(UTC), 500)])
    assert (await seat_row(pg_pool, event.id))["status"] == "sold"
    async with pg_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM refunds WHERE booking_id = $1",
                                   booking.id) == 0


async def test_a_refunded_seat_is_held_again_by_the_reservation_services_statement(pg_pool):
    svc, _, buyer, event, _, ids = await paid_tickets(pg_pool, draft=SOON)
    await svc.tickets.refund_ticket(buyer, ids[0])
    again = (await svc.create_booking(buyer, BookingRequest(
        event.id, "A", 1, 1, SeatSelectionMode.MANUAL, ["1-1"]))).booking
    result = await PostgresBookingLedger(pg_pool).settle([Settlement(
        again.id, event.id, "A", 1, (SeatPosition(1, 1),), 500)])
    assert result.bookings[again.id].status is BookingStatus.PENDING_PAYMENT
    assert (await seat_row(pg_pool, event.id))["booking_id"] == again.id
