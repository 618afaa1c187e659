"""Issued tickets over hand-written fakes: issue, visibility, listing, QR, attendee
(spec/tickets.md, rules 1–7)."""

import re

import pytest

from src.service.lifecycle import IssuedTicketStatus
from src.service.ticketing.application.ticket_qr import QrFormat, etag_of
from src.service.ticketing.domain.errors import Forbidden, InvalidRequest, NotFound
from src.service.ticketing.domain.issued_ticket import (
    CODE_BYTES,
    Attendee,
    new_code,
    parse_attendee,
)
from src.service.ticketing.domain.user import Principal, Role
from test.ticket_fakes import BUYER, OTHER, SELLER, TicketWorld

VALID, CHECKED_IN = IssuedTicketStatus.VALID, IssuedTicketStatus.CHECKED_IN


@pytest.fixture
def world() -> TicketWorld:
    return TicketWorld()


def test_a_code_is_128_random_bits_in_url_safe_text():
    codes = {new_code() for _ in range(1000)}
    assert CODE_BYTES * 8 >= 128 and len(codes) == 1000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", c) for c in codes)


@pytest.mark.parametrize(
    ("name", "email", "message"),
    [
        ("", "a@b.io", "name must be 1 to 100"),
        ("   ", "a@b.io", "name must be 1 to 100"),
        ("x" * 101, "a@b.io", "name must be 1 to 100"),
        ("Ann", "not-an-email", "email must look like"),
        ("Ann", "a@b", "email must look like"),
        ("Ann", "a b@c.io", "email must look like"),
        ("Ann", "a@" + "b" * 250 + ".io", "email must look like"),
    ],
)
def test_a_bad_attendee_is_refused_with_the_field(name, email, message):
    with pytest.raises(InvalidRequest, match=message):
        parse_attendee(name, email)


def test_an_attendee_is_trimmed_and_the_email_lower_cased():
    assert parse_attendee("  Ann Lee ", " Ann@Example.COM ") == Attendee("Ann Lee",
                                                                         "ann@example.com")
    assert parse_attendee("x" * 100, "a@b.io").name == "x" * 100


async def test_paying_issues_one_valid_ticket_per_seat_held_by_the_buyer(world):
    booking, tickets = await world.paid(await world.event())
    assert [(str(t.position), t.status, t.holder_id, t.price) for t in tickets] == [
        ("1-1", VALID, BUYER.user_id, 250), ("1-2", VALID, BUYER.user_id, 250)]
    assert len({t.code for t in tickets}) == 2 and all(t.booking_id == booking.id
                                                        for t in tickets)


async def test_the_holder_sees_the_code_the_seller_sees_the_ticket_without_it(world):
    _, (ticket, _) = await world.paid(await world.event())
    assert (await world.service.tickets.get(BUYER, ticket.id)).ticket.code == ticket.code
    seen = await world.service.tickets.get(SELLER, ticket.id)
    assert (seen.ticket.id, seen.ticket.code, seen.event.name) == (ticket.id, None, "Show")


@pytest.mark.parametrize("stranger", [OTHER, Principal(99, Role.SELLER)],
                         ids=["another buyer", "another seller"])
async def test_anyone_else_gets_not_found_as_for_an_unknown_id(world, stranger):
    _, (ticket, _) = await world.paid(await world.event())
    with pytest.raises(NotFound, match="Ticket not found"):
        await world.service.tickets.get(stranger, ticket.id)
    with pytest.raises(NotFound, match="Ticket not found"):
        await world.service.tickets.get(BUYER, 12345)


async def test_my_tickets_are_filtered_and_paginated_with_a_total(world):
    first, second = await world.event(), await world.event()
    await world.paid(first, ("1-1", "1-2", "1-3"))
    await world.paid(second, ("2-1",))
    await world.paid(second, ("2-2",), buyer=OTHER)
    page = await world.service.tickets.list_mine(BUYER, None, None, 2, 0)
    assert (page.total, [v.ticket.id for v in page.items]) == (4, [4, 3])
    rest = await world.service.tickets.list_mine(BUYER, None, None, 2, 2)
    assert [v.ticket.id for v in rest.items] == [2, 1]
    of_first = await world.service.tickets.list_mine(BUYER, first, None, 20, 0)
    assert (of_first.total, {v.event.id for v in of_first.items}) == (3, {first})
    world.store.set_status(1, CHECKED_IN)
    checked = await world.service.tickets.list_mine(BUYER, None, CHECKED_IN, 20, 0)
    assert [v.ticket.id for v in checked.items] == [1] and checked.total == 1
    beyond = await world.service.tickets.list_mine(BUYER, None, None, 20, 50)
    assert (beyond.items, beyond.total) == ((), 4)


@pytest.mark.parametrize(("limit", "offset", "message"), [
    (0, 0, "limit must be between 1 and 100"), (101, 0, "limit must be between 1 and 100"),
    (10, -1, "offset must be 0 or more")])
async def test_a_bad_page_is_refused(world, limit, offset, message):
    with pytest.raises(InvalidRequest, match=message):
        await world.service.tickets.list_mine(BUYER, None, None, limit, offset)


async def test_the_qr_code_carries_the_code_for_its_holder_only(world):
    _, (ticket, _) = await world.paid(await world.event())
    png = await world.service.tickets.qr(BUYER, ticket.id, QrFormat.PNG)
    svg = await world.service.tickets.qr(BUYER, ticket.id, QrFormat.SVG)
    assert (png.body, png.media_type) == (b"PNG:" + ticket.code.encode(), "image/png")
    assert (svg.body, svg.media_type) == (b"SVG:" + ticket.code.encode(), "image/svg+xml")
    assert png.etag == etag_of(QrFormat.PNG, ticket.code) != svg.etag
    assert ticket.code not in png.etag
    with pytest.raises(Forbidden, match="Only the holder of this ticket can show its code"):
        await world.service.tickets.qr(SELLER, ticket.id, QrFormat.PNG)
    with pytest.raises(NotFound):
        await world.service.tickets.qr(OTHER, ticket.id, QrFormat.PNG)


async def test_a_ticket_no_longer_valid_shows_no_code(world):
    _, (ticket, _) = await world.paid(await world.event())
    world.store.set_status(ticket.id, IssuedTicketStatus.REFUNDED)
    with pytest.raises(InvalidRequest, match="Ticket is refunded: its code no longer admits"):
        await world.service.tickets.qr(BUYER, ticket.id, QrFormat.SVG)


async def test_the_holder_names_the_attendee(world):
    _, (ticket, _) = await world.paid(await world.event())
    view = await world.service.tickets.set_attendee(BUYER, ticket.id, " Ann ", "ANN@example.com")
    assert view.ticket.attendee == Attendee("Ann", "ann@example.com")
    assert world.store.issued[ticket.id].attendee == Attendee("Ann", "ann@example.com")


async def test_only_the_holder_changes_the_attendee_and_bad_input_changes_nothing(world):
    _, (ticket, _) = await world.paid(await world.event())
    with pytest.raises(Forbidden, match="Only the holder of this ticket can change it"):
        await world.service.tickets.set_attendee(SELLER, ticket.id, "Ann", "ann@example.com")
    with pytest.raises(NotFound):
        await world.service.tickets.set_attendee(OTHER, ticket.id, "Ann", "ann@example.com")
    with pytest.raises(InvalidRequest, match="email"):
        await world.service.tickets.set_attendee(BUYER, ticket.id, "Ann", "nope")
    assert world.store.issued[ticket.id].attendee is None


async def test_a_ticket_no_longer_valid_keeps_its_attendee(world):
    _, (ticket, _) = await world.paid(await world.event())
    world.store.set_status(ticket.id, CHECKED_IN)
    with pytest.raises(InvalidRequest, match=r"valid ticket .* \(this one is checked_in\)"):
        await world.service.tickets.set_attendee(BUYER, ticket.id, "Ann", "ann@example.com")


async def test_an_attendee_change_loses_to_a_check_in_between_its_read_and_its_write(world):
    _, (ticket, _) = await world.paid(await world.event())
    world.store.between_read_and_write = lambda: world.store.set_status(ticket.id, CHECKED_IN)
    with pytest.raises(InvalidRequest, match="this one is checked_in"):
        await world.service.tickets.set_attendee(BUYER, ticket.id, "Ann", "ann@example.com")
    assert world.store.issued[ticket.id].attendee is None
