"""Issued tickets against the real PostgreSQL: issue on payment, the one-live-ticket-per-seat
index, listing, and the attendee compare-and-set (spec/tickets.md, rules 1–7)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from src.service.lifecycle import IssuedTicketStatus
from src.service.ticketing.adapters.postgres import PostgresUnitOfWork
from src.service.ticketing.application.update_event import EventChange
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.issued_ticket import Attendee
from src.service.ticketing.domain.refund_policy import DEFAULT_TIERS, EventTerms, RefundTier
from test.integration.test_ticketing_adapters import SHOW, booked, hold, principals, service
from test.ticketing_fakes_io import FakeInventory


async def paid_tickets(pg_pool, seats=("1-1", "1-2"), draft=SHOW, publisher=None):
    """A paid booking on a new event; returns (service, seller, buyer, event, booking, ticket
    ids in seat order)."""
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, FakeInventory(), publisher)
    event = await svc.create_event(seller, draft)
    booking = await booked(svc, buyer, event.id, seats)
    await hold(pg_pool, booking, event.id)
    await svc.pay_booking(buyer, booking.id)
    page = await svc.tickets.list_mine(buyer, event.id, None, 20, 0)
    return svc, seller, buyer, event, booking, [v.ticket.id for v in reversed(page.items)]


async def test_payment_issues_one_valid_ticket_per_seat_in_its_transaction(pg_pool):
    svc, _, buyer, event, booking, ids = await paid_tickets(pg_pool)
    views = [await svc.tickets.get(buyer, i) for i in ids]
    assert [(str(v.ticket.position), v.ticket.status, v.ticket.price, v.ticket.holder_id)
            for v in views] == [("1-1", "valid", 500, buyer.user_id),
                                ("1-2", "valid", 500, buyer.user_id)]
    detail = await svc.get_booking(buyer, booking.id)
    assert [t.code for t in detail.tickets] == [v.ticket.code for v in views]
    async with pg_pool.acquire() as conn:
        legacy = await conn.fetchval(
            "SELECT count(*) FROM tickets WHERE event_id = $1 AND code IS NOT NULL", event.id)
    assert legacy == 0  # the code lives on the issued ticket only


async def test_a_seat_never_has_two_live_tickets(pg_pool):
    _, _, _, _, _, ids = await paid_tickets(pg_pool)
    async with pg_pool.acquire() as conn:
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(
                "INSERT INTO issued_tickets (code, seat_id, event_id, booking_id, holder_id, "
                "price) SELECT 'dup-' || code, seat_id, event_id, booking_id, holder_id, price "
                "FROM issued_tickets WHERE id = $1", ids[0])


async def test_my_tickets_pages_with_a_total_and_filters(pg_pool):
    svc, seller, buyer, event, _, ids = await paid_tickets(pg_pool, ("1-1", "1-2"))
    page = await svc.tickets.list_mine(buyer, None, None, 1, 1)
    assert (page.total, [v.ticket.id for v in page.items]) == (2, [ids[0]])
    none = await svc.tickets.list_mine(buyer, event.id, IssuedTicketStatus.REFUNDED, 5, 0)
    assert (none.total, none.items) == (0, ())
    assert (await svc.tickets.list_mine(seller, None, None, 5, 0)).total == 0


async def test_the_attendee_compare_and_set_loses_to_a_change_between_read_and_write(pg_pool):
    svc, _, buyer, _, _, ids = await paid_tickets(pg_pool)
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert await uow.issued_tickets.set_attendee(ids[0], Attendee("Ann", "ann@x.io"))
    async with pg_pool.acquire() as conn:  # the ticket is checked in by someone else...
        await conn.execute("UPDATE issued_tickets SET status = 'checked_in', "
                           "checked_in_at = now() WHERE id = $1", ids[0])
    async with PostgresUnitOfWork(pg_pool) as uow:  # ...so the write finds no valid ticket
        assert not await uow.issued_tickets.set_attendee(ids[0], Attendee("Bob", "bob@x.io"))
    with pytest.raises(InvalidRequest, match="this one is checked_in"):
        await svc.tickets.set_attendee(buyer, ids[0], "Bob", "bob@x.io")
    assert (await svc.tickets.get(buyer, ids[0])).ticket.attendee == Attendee("Ann", "ann@x.io")


async def test_event_terms_round_trip_through_postgres(pg_pool):
    seller, _ = await principals(pg_pool)
    svc = service(pg_pool, FakeInventory())
    start = datetime(2027, 3, 1, 19, 30, tzinfo=UTC)
    draft = replace(SHOW, terms=EventTerms(start, start + timedelta(hours=2), True,
                                           (RefundTier(2, 40),)))
    event = await svc.create_event(seller, draft)
    assert (event.terms.starts_at, event.terms.tiers) == (start, (RefundTier(2, 40),))
    change = EventChange({"tiers": DEFAULT_TIERS, "refunds_enabled": False})
    updated = await svc.tickets.update_event(seller, event.id, change)
    assert (updated.terms.tiers, updated.terms.refunds_enabled) == (DEFAULT_TIERS, False)
    assert (await svc.get_event(event.id)).terms.ends_at == start + timedelta(hours=2)
