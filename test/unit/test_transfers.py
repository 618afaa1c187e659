"""Transfers over hand-written fakes: who may, to whom, what the door says afterwards, and the
compare-and-set losing between its read and its write (spec/tickets.md, rule 12)."""

import pytest

from src.service.lifecycle import IssuedTicketStatus, ScanOutcome
from src.service.ticketing.domain.check_in import Scan
from src.service.ticketing.domain.errors import Forbidden, InvalidRequest, NotFound
from test.ticket_fakes import BUYER, OTHER, SELLER, TicketWorld

VALID, TRANSFERRED = IssuedTicketStatus.VALID, IssuedTicketStatus.TRANSFERRED


@pytest.fixture
async def world() -> TicketWorld:
    world = TicketWorld()
    world.account(SELLER, "sam@seller.io")
    world.account(BUYER, "alice@buyer.io")
    world.account(OTHER, "bob@buyer.io")
    return world


async def test_a_transfer_ends_the_old_ticket_and_issues_the_recipient_a_new_code(world):
    event_id = await world.event()
    _, (ticket, _) = await world.paid(event_id)
    await world.service.tickets.set_attendee(BUYER, ticket.id, "Ann", "ann@x.io")
    old = await world.service.tickets.transfer(BUYER, ticket.id, " Bob@Buyer.io ")
    assert (old.ticket.id, old.ticket.status) == (ticket.id, TRANSFERRED)
    [new] = (await world.service.tickets.list_mine(OTHER, None, None, 20, 0)).items
    assert (new.ticket.status, new.ticket.holder_id, new.ticket.previous_id) == (
        VALID, OTHER.user_id, ticket.id)
    assert (new.ticket.position, new.ticket.booking_id, new.ticket.price) == (
        ticket.position, ticket.booking_id, ticket.price)
    assert new.ticket.code != ticket.code and new.ticket.attendee is None
    # History: the old holder still sees the old ticket, but not the new one, and back.
    assert (await world.service.tickets.get(BUYER, ticket.id)).ticket.status is TRANSFERRED
    with pytest.raises(NotFound):
        await world.service.tickets.get(BUYER, new.ticket.id)
    with pytest.raises(NotFound):
        await world.service.tickets.get(OTHER, ticket.id)
    door = world.service.tickets.check_in
    assert (await door(SELLER, event_id, Scan(ticket.code))).outcome is ScanOutcome.TRANSFERRED
    assert (await door(SELLER, event_id, Scan(new.ticket.code))).outcome is ScanOutcome.CHECKED_IN


@pytest.mark.parametrize(("email", "message"), [
    ("nobody@x.io", "No buyer account with this email"),
    ("sam@seller.io", "No buyer account with this email"),
    ("alice@buyer.io", "cannot be transferred to its own holder")])
async def test_the_recipient_must_be_another_registered_buyer(world, email, message):
    _, (ticket, _) = await world.paid(await world.event())
    with pytest.raises(InvalidRequest, match=message):
        await world.service.tickets.transfer(BUYER, ticket.id, email)
    assert world.store.issued[ticket.id].status is VALID and len(world.store.issued) == 2


async def test_only_the_holder_transfers_and_only_a_valid_ticket(world):
    _, (ticket, _) = await world.paid(await world.event())
    with pytest.raises(Forbidden, match="Only the holder of this ticket can transfer it"):
        await world.service.tickets.transfer(SELLER, ticket.id, "bob@buyer.io")
    with pytest.raises(NotFound):
        await world.service.tickets.transfer(OTHER, ticket.id, "bob@buyer.io")
    world.store.set_status(ticket.id, IssuedTicketStatus.CHECKED_IN)
    with pytest.raises(InvalidRequest, match=r"valid ticket can be transferred \(this one is "
                                             r"checked_in\)"):
        await world.service.tickets.transfer(BUYER, ticket.id, "bob@buyer.io")


async def test_a_transferred_ticket_cannot_be_transferred_again_by_its_old_holder(world):
    _, (ticket, _) = await world.paid(await world.event())
    await world.service.tickets.transfer(BUYER, ticket.id, "bob@buyer.io")
    with pytest.raises(InvalidRequest, match="this one is transferred"):
        await world.service.tickets.transfer(BUYER, ticket.id, "bob@buyer.io")
    new_id = max(world.store.issued)
    back = await world.service.tickets.transfer(OTHER, new_id, "alice@buyer.io")
    assert back.ticket.status is TRANSFERRED
    assert world.store.issued[max(world.store.issued)].holder_id == BUYER.user_id


async def test_a_transfer_loses_to_a_check_in_between_its_read_and_its_write(world):
    _, (ticket, _) = await world.paid(await world.event())
    world.store.between_read_and_write = lambda: world.store.set_status(
        ticket.id, IssuedTicketStatus.CHECKED_IN)
    with pytest.raises(InvalidRequest, match="this one is checked_in"):
        await world.service.tickets.transfer(BUYER, ticket.id, "bob@buyer.io")
    assert len(world.store.issued) == 2  # no ticket was issued to the recipient
