"""The refund routes over ASGI with fakes (spec/tickets.md, rules 14–15)."""

from datetime import timedelta

import httpx
import pytest

from src.service.ticketing.domain.refund_policy import EventTerms
from src.service.ticketing.entrypoints.http import create_app
from test.ticket_fakes import BUYER, OTHER, TicketWorld
from test.unit.test_http_tickets import bearer


@pytest.fixture
async def refunds():
    world = TicketWorld()
    terms = EventTerms(starts_at=world.clock.now() + timedelta(days=4))
    event_id = await world.event(terms=terms)
    booking, tickets = await world.paid(event_id)
    transport = httpx.ASGITransport(app=create_app(world.service, fast_path=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield world, client, booking, tickets


async def test_a_ticket_refund_answers_the_ticket_and_what_is_paid_back(refunds):
    world, client, _, (ticket, _) = refunds
    response = await client.post(f"/api/ticket/{ticket.id}/refund", headers=bearer(world, BUYER))
    assert response.status_code == 200
    body = response.json()
    assert body["ticket"]["status"] == "refunded"
    assert {k: body["refund"][k] for k in ("price", "percent", "amount", "paid_out",
                                           "seat_position")} == {
        "price": 250, "percent": 50, "amount": 125, "paid_out": True, "seat_position": "1-1"}
    again = await client.post(f"/api/ticket/{ticket.id}/refund", headers=bearer(world, BUYER))
    assert (again.status_code, again.json()) == (
        400, {"detail": "Only a valid ticket can be refunded (this one is refunded)"})


async def test_a_booking_refund_answers_the_booking_its_refunds_and_their_sum(refunds):
    world, client, booking, _ = refunds
    stranger = await client.post(f"/api/booking/{booking.id}/refund",
                                 headers=bearer(world, OTHER))
    assert (stranger.status_code, stranger.json()) == (
        403, {"detail": "Only the buyer of this booking can refund it"})
    response = await client.post(f"/api/booking/{booking.id}/refund",
                                 headers=bearer(world, BUYER))
    assert response.status_code == 200
    body = response.json()
    assert (body["booking"]["status"], body["amount"], len(body["refunds"])) == (
        "refunded", 250, 2)
    world.clock.advance(2 * 86400)
    late = await client.post(f"/api/booking/{booking.id}/refund", headers=bearer(world, BUYER))
    assert (late.status_code, late.json()) == (400, {"detail": "Booking is already refunded"})
