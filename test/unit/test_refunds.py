"""Refunds of paid tickets over hand-written fakes: amounts by the policy, who may, the
booking's status, the partial release, the relay (spec/tickets.md, rules 14–16)."""

from datetime import timedelta

import pytest

from src.service.contract import BookingCancelled
from src.service.lifecycle import BookingStatus, IssuedTicketStatus, ScanOutcome
from src.service.ticketing.application.create_booking import BookingRequest
from src.service.ticketing.domain.booking import SeatSelectionMode
from src.service.ticketing.domain.check_in import Scan
from src.service.ticketing.domain.errors import Forbidden, InvalidRequest, NotFound
from src.service.ticketing.domain.refund_policy import EventTerms
from test.ticket_fakes import BUYER, OTHER, SELLER, TicketWorld

VALID, REFUNDED = IssuedTicketStatus.VALID, IssuedTicketStatus.REFUNDED


@pytest.fixture
async def world() -> TicketWorld:
    world = TicketWorld()
    world.account(BUYER, "alice@buyer.io")
    world.account(OTHER, "bob@buyer.io")
    return world


async def paid(world: TicketWorld, days_ahead: float = 10, seats=("1-1", "1-2"), **terms):
    starts_at = world.clock.now() + timedelta(days=days_ahead)
    event_id = await world.event(terms=EventTerms(starts_at=starts_at, **terms))
    booking, tickets = await world.paid(event_id, seats)
    world.publisher.sent.clear()
    return event_id, booking, tickets


def releases(world: TicketWorld) -> list[BookingCancelled]:
    return [c for c in world.publisher.sent if isinstance(c, BookingCancelled)]


async def test_a_refund_a_week_ahead_pays_all_back_frees_the_seat_and_keeps_the_booking(world):
    event_id, booking, (first, second) = await paid(world)
    done = await world.service.tickets.refund_ticket(BUYER, first.id)
    assert (done.ticket.ticket.status, done.refund.percent, done.refund.amount) == (
        REFUNDED, 100, 250)
    assert world.payments.paid == {done.refund.id: 250}
    assert world.store.refunds[done.refund.id].provider_ref == f"fake-{done.refund.id}"
    [release] = releases(world)
    assert (release.booking_id, release.only.seat_positions, release.only.cols) == (
        booking.id, ["1-1"], 5)
    assert not world.store.refunds[done.refund.id].release_pending
    assert world.store.bookings[booking.id].status is BookingStatus.COMPLETED
    assert world.store.issued[second.id].status is VALID
    assert world.notifier.states[-1].available == 1  # the seat is announced free
    door = await world.service.tickets.check_in(SELLER, event_id, Scan(first.code))
    assert door.outcome is ScanOutcome.REFUNDED


async def test_refunding_the_last_ticket_refunds_the_booking(world):
    _, booking, (first, second) = await paid(world)
    await world.service.tickets.refund_ticket(BUYER, first.id)
    await world.service.tickets.refund_ticket(BUYER, second.id)
    assert world.store.bookings[booking.id].status is BookingStatus.REFUNDED
    assert world.notifier.statuses[-1].status == "refunded"
    with pytest.raises(InvalidRequest, match="Cannot cancel a refunded booking"):
        await world.service.cancel_booking(BUYER, booking.id)
    with pytest.raises(InvalidRequest, match="Cannot pay refunded booking"):
        await world.service.pay_booking(BUYER, booking.id)


@pytest.mark.parametrize(("days_ahead", "percent", "amount"), [
    (7, 100, 250), (6.99, 50, 125), (3, 50, 125)])
async def test_the_amount_follows_the_policy_at_its_edges(world, days_ahead, percent, amount):
    _, _, (ticket, _) = await paid(world, days_ahead)
    done = await world.service.tickets.refund_ticket(BUYER, ticket.id)
    assert (done.refund.percent, done.refund.amount) == (percent, amount)


@pytest.mark.parametrize(("days_ahead", "terms", "message"), [
    (2.99, {}, "Too late for a refund: refunds close 3 days before the event"),
    (-1, {}, "The event has started"),
    (30, {"refunds_enabled": False}, "Refunds are disabled for this event")])
async def test_a_refused_refund_says_why_and_the_ticket_stays_valid(
    world, days_ahead, terms, message
):
    _, booking, (ticket, _) = await paid(world, days_ahead, **terms)
    with pytest.raises(InvalidRequest, match=message):
        await world.service.tickets.refund_ticket(BUYER, ticket.id)
    assert world.store.issued[ticket.id].status is VALID
    assert (world.store.refunds, releases(world), world.payments.paid) == ({}, [], {})


async def test_an_event_without_a_start_date_refunds_nothing(world):
    _, (ticket, _) = await world.paid(await world.event())
    with pytest.raises(InvalidRequest, match="no start date"):
        await world.service.tickets.refund_ticket(BUYER, ticket.id)


async def test_only_the_buyer_holding_a_valid_ticket_is_refunded(world):
    _, _, (ticket, other) = await paid(world)
    with pytest.raises(Forbidden, match="Only the holder of this ticket can refund it"):
        await world.service.tickets.refund_ticket(SELLER, ticket.id)
    with pytest.raises(NotFound):
        await world.service.tickets.refund_ticket(OTHER, ticket.id)
    await world.service.tickets.transfer(BUYER, ticket.id, "bob@buyer.io")
    received = max(world.store.issued)
    with pytest.raises(InvalidRequest, match="received by transfer cannot be refunded"):
        await world.service.tickets.refund_ticket(OTHER, received)
    with pytest.raises(InvalidRequest, match=r"valid ticket can be refunded \(this one is "
                                             "transferred"):
        await world.service.tickets.refund_ticket(BUYER, ticket.id)
    world.store.set_status(other.id, IssuedTicketStatus.CHECKED_IN)
    with pytest.raises(InvalidRequest, match="this one is checked_in"):
        await world.service.tickets.refund_ticket(BUYER, other.id)
    assert world.store.refunds == {}


async def test_a_refund_loses_to_a_check_in_between_its_read_and_its_write(world):
    _, _, (ticket, _) = await paid(world)
    world.store.between_read_and_write = lambda: world.store.set_status(
        ticket.id, IssuedTicketStatus.CHECKED_IN)
    with pytest.raises(InvalidRequest, match="this one is checked_in"):
        await world.service.tickets.refund_ticket(BUYER, ticket.id)
    assert (world.store.refunds, releases(world)) == ({}, [])


async def test_a_booking_refund_takes_every_valid_ticket_its_buyer_holds(world):
    _, booking, tickets = await paid(world, seats=("1-1", "1-2", "1-3"))
    await world.service.tickets.transfer(BUYER, tickets[2].id, "bob@buyer.io")
    done = await world.service.tickets.refund_booking(BUYER, booking.id)
    assert sorted(str(r.position) for r in done.refunds) == ["1-1", "1-2"]
    assert done.booking.status is BookingStatus.COMPLETED  # Bob's ticket still stands
    [release] = releases(world)
    assert sorted(release.only.seat_positions) == ["1-1", "1-2"]
    with pytest.raises(InvalidRequest, match="No ticket of this booking can be refunded"):
        await world.service.tickets.refund_booking(BUYER, booking.id)


async def test_a_booking_refund_of_all_its_tickets_refunds_the_booking(world):
    _, booking, _ = await paid(world)
    with pytest.raises(Forbidden, match="Only the buyer of this booking can refund it"):
        await world.service.tickets.refund_booking(OTHER, booking.id)
    done = await world.service.tickets.refund_booking(BUYER, booking.id)
    assert (done.booking.status, sum(r.amount for r in done.refunds)) == (
        BookingStatus.REFUNDED, 500)
    with pytest.raises(InvalidRequest, match="Booking is already refunded"):
        await world.service.tickets.refund_booking(BUYER, booking.id)


async def test_only_a_paid_booking_is_refunded(world):
    event_id = await world.event()
    pending = await world.service.create_booking(
        BUYER, BookingRequest(event_id, "A", 1, 1, SeatSelectionMode.BEST_AVAILABLE, []))
    with pytest.raises(InvalidRequest, match=r"Only a paid booking can be refunded \(this one "
                                             "is processing"):
        await world.service.tickets.refund_booking(BUYER, pending.booking.id)


async def test_the_relay_pays_out_and_releases_what_did_not_go_through(world):
    _, booking, (ticket, _) = await paid(world)
    world.publisher.fail_next, world.payments.fail_next = 1, 1
    done = await world.service.tickets.refund_ticket(BUYER, ticket.id)
    refund = world.store.refunds[done.refund.id]
    assert (refund.provider_ref, refund.release_pending, releases(world)) == (None, True, [])
    assert await world.service.tickets.relay_refunds() == 0  # not stale yet
    world.clock.advance(11)
    assert await world.service.tickets.relay_refunds() == 1
    refund = world.store.refunds[done.refund.id]
    assert (refund.provider_ref, refund.release_pending) == (f"fake-{refund.id}", False)
    [release] = releases(world)
    assert (release.booking_id, release.only.seat_positions) == (booking.id, ["1-1"])
    world.clock.advance(11)
    assert await world.service.tickets.relay_refunds() == 0


async def test_while_the_broker_is_known_down_a_refund_leaves_its_release_to_the_relay(world):
    _, booking, (first, second) = await paid(world)
    world.publisher.down = True
    done = await world.service.tickets.refund_ticket(BUYER, first.id)  # opens the circuit
    calls = world.publisher.calls
    later = await world.service.tickets.refund_ticket(BUYER, second.id)
    assert world.publisher.calls == calls  # not even tried: the circuit is open
    assert [world.store.refunds[d.refund.id].release_pending for d in (done, later)] == [
        True, True]
    assert world.store.bookings[booking.id].status is BookingStatus.REFUNDED
    world.publisher.down = False
    world.clock.advance(11)
    assert await world.service.tickets.relay_refunds() == 2  # the relay sends anyway
    [release] = releases(world)
    assert sorted(release.only.seat_positions) == ["1-1", "1-2"]
    assert not any(r.release_pending for r in world.store.refunds.values())
