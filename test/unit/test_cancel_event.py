"""Cancelling an event over HTTP with fakes (spec/tickets.md, rule 19): every open booking
cancelled through its own transition (stream told, BookingCancelled sent), every paid one
refunded at 100 % whatever the policy, the event `cancelled` and closed to bookings; a repeat
changes nothing; the sweep goes in pages and the relay finishes what a race left."""

from dataclasses import replace

import httpx
import pytest

from src.service.contract import BookingCancelled
from src.service.lifecycle import ISSUED, BookingStatus, EventStatus, IssuedTicketStatus
from src.service.ticketing.application.create_booking import BookingRequest
from src.service.ticketing.domain.booking import SeatSelectionMode
from src.service.ticketing.domain.issued_ticket import IssuedTicket, new_code
from src.service.ticketing.entrypoints.http import create_app
from test.ticket_fakes import BUYER, LAYOUT, OTHER, SELLER, TicketWorld
from test.unit.test_http_tickets import bearer


@pytest.fixture
async def world_and_client():
    world = TicketWorld()
    transport = httpx.ASGITransport(app=create_app(world.service, fast_path=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield world, client


async def booked(world: TicketWorld, event_id: int, seat: str, held: bool, buyer=BUYER):
    request = BookingRequest(event_id, "A", 1, 1, SeatSelectionMode.MANUAL, [seat])
    booking = (await world.service.create_booking(buyer, request)).booking
    if held:
        world.store.bookings[booking.id] = replace(booking, status=BookingStatus.PENDING_PAYMENT)
    return booking.id


async def cancel(world, client, event_id, who=SELLER) -> httpx.Response:
    return await client.post(f"/api/event/{event_id}/cancel", headers=bearer(world, who))


def releases(world) -> list[BookingCancelled]:
    return [c for c in world.publisher.sent if isinstance(c, BookingCancelled)]


async def test_cancelling_cancels_open_bookings_and_refunds_paid_ones_in_full(world_and_client):
    world, client = world_and_client
    event_id = await world.event()  # no start date: the policy itself would refuse a refund
    unsettled = await booked(world, event_id, "2-1", held=False)
    held = await booked(world, event_id, "2-2", held=True, buyer=OTHER)
    paid, tickets = await world.paid(event_id, seats=("1-1", "1-2"))
    answer = await cancel(world, client, event_id)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["status"], body["bookings_cancelled"], body["bookings_refunded"]) == (
        "cancelled", 2, 1)
    statuses = {b: world.store.bookings[b].status for b in (unsettled, held, paid.id)}
    assert statuses == {unsettled: BookingStatus.CANCELLED, held: BookingStatus.CANCELLED,
                        paid.id: BookingStatus.REFUNDED}
    assert {world.store.issued[t.id].status for t in tickets} == {IssuedTicketStatus.REFUNDED}
    refunds = list(world.store.refunds.values())
    assert [(r.percent, r.amount) for r in refunds] == [(100, r.price) for r in refunds]
    assert len(refunds) == 2 and world.payments.paid == {r.id: r.amount for r in refunds}
    # Every seat is released through the normal Kafka path; every stream is told.
    assert {c.booking_id for c in releases(world)} == {unsettled, held, paid.id}
    told = {(u.booking_id, u.status) for u in world.notifier.statuses}
    assert {(unsettled, "cancelled"), (held, "cancelled"), (paid.id, "refunded")} <= told
    later = await client.post("/api/booking", json={
        "event_id": event_id, "section": "A", "subsection": 1, "quantity": 1,
        "seat_selection_mode": "best_available", "seat_positions": []},
        headers=bearer(world, BUYER))
    assert (later.status_code, later.json()) == (400, {"detail": "Event is not on sale"})


async def test_a_repeated_cancel_changes_nothing(world_and_client):
    world, client = world_and_client
    event_id = await world.event()
    await booked(world, event_id, "2-1", held=True)
    assert (await cancel(world, client, event_id)).json()["bookings_cancelled"] == 1
    sent, told = len(world.publisher.sent), len(world.notifier.statuses)
    again = await cancel(world, client, event_id)
    assert again.status_code == 200
    assert (again.json()["bookings_cancelled"], again.json()["bookings_refunded"]) == (0, 0)
    assert (len(world.publisher.sent), len(world.notifier.statuses)) == (sent, told)


@pytest.mark.parametrize(("who", "status", "detail"), [
    (BUYER, 403, "Only the seller of this event can cancel it"),
    (OTHER, 403, "Only the seller of this event can cancel it"),
])
async def test_only_its_seller_cancels_an_event(world_and_client, who, status, detail):
    world, client = world_and_client
    event_id = await world.event()
    held = await booked(world, event_id, "2-1", held=True)
    answer = await cancel(world, client, event_id, who)
    assert (answer.status_code, answer.json()) == (status, {"detail": detail})
    assert world.store.events[event_id].status is EventStatus.ON_SALE
    assert world.store.bookings[held].status is BookingStatus.PENDING_PAYMENT


async def test_an_ended_event_cannot_be_cancelled_and_an_unknown_one_is_404(world_and_client):
    world, client = world_and_client
    event_id = await world.event()
    world.store.events[event_id] = replace(world.store.events[event_id],
                                           status=EventStatus.ENDED)
    answer = await cancel(world, client, event_id)
    assert (answer.status_code, answer.json()) == (
        400, {"detail": "An event that is ended cannot be cancelled"})
    assert world.store.events[event_id].status is EventStatus.ENDED
    assert (await cancel(world, client, 999)).status_code == 404


async def test_a_draft_event_can_be_cancelled(world_and_client):
    world, client = world_and_client
    created = await client.post("/api/event", json={"name": "Draft", "status": "draft",
                                                    "seating_config": LAYOUT},
                                headers=bearer(world, SELLER))
    answer = await cancel(world, client, created.json()["id"])
    assert (answer.status_code, answer.json()["status"]) == (200, "cancelled")


async def test_the_sweep_goes_in_pages_until_nothing_is_left():
    world = TicketWorld()
    event_id = await world.event()
    held = [await booked(world, event_id, f"2-{n}", held=True) for n in range(1, 6)]
    use_case = replace(world.service.tickets.cancel_event, batch=2)
    done = await use_case(SELLER, event_id)
    assert (done.cancelled, done.refunded) == (5, 0)
    assert {world.store.bookings[b].status for b in held} == {BookingStatus.CANCELLED}


async def test_a_booking_paid_between_the_sweep_read_and_its_cancel_is_refunded():
    world = TicketWorld()
    event_id = await world.event()
    held = await booked(world, event_id, "2-1", held=True)

    def paid_meanwhile():  # the buyer's payment commits after the sweep read the booking
        booking = replace(world.store.bookings[held], status=BookingStatus.COMPLETED)
        world.store.bookings[held] = booking
        world.store.issued[99] = IssuedTicket(
            99, new_code(), event_id, held, booking.buyer_id, "A", 1,
            booking.seat_positions[0], booking.total_price, ISSUED, world.clock.now())

    # The event's own move already committed (a repeat), so the next compare-and-set is the
    # booking's cancel.
    world.store.events[event_id] = replace(world.store.events[event_id],
                                           status=EventStatus.CANCELLED)
    world.store.between_read_and_write = paid_meanwhile
    done = await world.service.tickets.cancel_event(SELLER, event_id)
    assert (done.cancelled, done.refunded) == (0, 1)
    assert world.store.bookings[held].status is BookingStatus.REFUNDED
    assert world.store.issued[99].status is IssuedTicketStatus.REFUNDED
    assert [r.percent for r in world.store.refunds.values()] == [100]


async def test_the_relay_finishes_a_booking_accepted_after_the_cancel():
    world = TicketWorld()
    event_id = await world.event()
    await world.service.tickets.cancel_event(SELLER, event_id)
    # Another API process whose layout cache was still fresh accepted one (rule 18's bound).
    world.store.events[event_id] = replace(world.store.events[event_id],
                                           status=EventStatus.ON_SALE)
    late = await booked(world, event_id, "2-1", held=True)
    world.store.events[event_id] = replace(world.store.events[event_id],
                                           status=EventStatus.CANCELLED)
    assert await world.service.tickets.cancel_event.sweep_cancelled() == 1
    assert world.store.bookings[late].status is BookingStatus.CANCELLED
    assert late in {c.booking_id for c in releases(world)}
    assert await world.service.tickets.cancel_event.sweep_cancelled() == 0


async def test_a_booking_of_a_cancelled_event_cannot_be_paid(world_and_client):
    """A booking the sweep has not reached yet (or a stale process accepted) is refused at
    pay time instead of being charged and refunded."""
    world, client = world_and_client
    event_id = await world.event()
    held = await booked(world, event_id, "2-2", held=True)
    world.store.events[event_id] = replace(world.store.events[event_id],
                                           status=EventStatus.CANCELLED)
    answer = await client.post(f"/api/booking/{held}/pay", headers=bearer(world, BUYER))
    assert (answer.status_code, answer.json()) == (400, {"detail": "Event was cancelled"})
    assert world.store.bookings[held].status is BookingStatus.PENDING_PAYMENT
    assert [t for t in world.store.issued.values() if t.booking_id == held] == []


async def test_a_checked_in_ticket_is_refunded_in_full_when_the_event_is_cancelled(
        world_and_client):
    world, client = world_and_client
    event_id = await world.event()
    paid, tickets = await world.paid(event_id, seats=("1-1", "1-2"))
    admitted, waiting = tickets
    world.store.issued[admitted.id] = replace(admitted, status=IssuedTicketStatus.CHECKED_IN)
    answer = await cancel(world, client, event_id)
    assert (answer.status_code, answer.json()["bookings_refunded"]) == (200, 1)
    assert {world.store.issued[t.id].status for t in tickets} == {IssuedTicketStatus.REFUNDED}
    assert sorted((r.ticket_id, r.percent) for r in world.store.refunds.values()) == [
        (admitted.id, 100), (waiting.id, 100)]
    assert world.store.bookings[paid.id].status is BookingStatus.REFUNDED
    # Nothing is left for the relay: a checked-in ticket no longer keeps the event open.
    assert await world.service.tickets.cancel_event.sweep_cancelled() == 0


async def test_a_buyer_still_cannot_refund_a_checked_in_ticket_of_an_event_on_sale(
        world_and_client):
    world, client = world_and_client
    event_id = await world.event()
    paid, (ticket,) = await world.paid(event_id, seats=("1-1",))
    world.store.issued[ticket.id] = replace(ticket, status=IssuedTicketStatus.CHECKED_IN)
    answer = await client.post(f"/api/booking/{paid.id}/refund", headers=bearer(world, BUYER))
    assert answer.status_code == 400
    assert world.store.issued[ticket.id].status is IssuedTicketStatus.CHECKED_IN
    assert world.store.refunds == {}
