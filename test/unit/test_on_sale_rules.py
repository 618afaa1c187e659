"""On-sale rules at their edges (spec/booking.md, rules 10–12): the sale window, the per-buyer
ticket limit and one open booking per buyer, as domain rules and through the create-booking
use case over fakes."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from src.service.lifecycle import LIMIT_COUNTED, BookingStatus
from src.service.ticketing.application.create_event import EventDraft
from src.service.ticketing.application.update_event import LAYOUT_LOCKED, EventChange
from src.service.ticketing.domain.errors import Conflict, InvalidRequest
from src.service.ticketing.domain.sales import (
    OPEN_BOOKING_EXISTS,
    Holding,
    SalesPolicy,
    admit,
    check_sales,
)
from test.ticket_fakes import LAYOUT, OTHER, SELLER
from test.unit.test_ticketing_use_cases import World

AT = datetime(2026, 1, 1, 12, tzinfo=UTC)
TICK = timedelta(microseconds=1)
WIDE = LAYOUT | {"rows": 10, "cols": 10}


def test_the_window_opens_at_its_start_and_closes_at_its_end():
    window = SalesPolicy(sales_start=AT, sales_end=AT + timedelta(hours=1))
    with pytest.raises(InvalidRequest, match=r"^Sales have not started: they open at "
                                             r"2026-01-01T12:00:00Z$"):
        window.check_window(AT - TICK)
    window.check_window(AT)
    window.check_window(AT + timedelta(hours=1) - TICK)
    with pytest.raises(InvalidRequest, match="^Sales have ended$"):
        window.check_window(AT + timedelta(hours=1))
    assert [window.window_open(t) for t in (AT - TICK, AT, AT + timedelta(hours=1))] == [
        False, True, False]
    SalesPolicy().check_window(AT)  # no window: always open


def test_the_start_is_given_in_utc_whatever_offset_it_was_set_with():
    vienna = AT.astimezone(ZoneInfo("Europe/Vienna"))
    with pytest.raises(InvalidRequest, match="open at 2026-01-01T12:00:00Z"):
        SalesPolicy(sales_start=vienna).check_window(AT - TICK)


def test_the_limit_admits_up_to_exactly_its_count():
    limit = SalesPolicy(max_tickets_per_buyer=4)
    assert admit(limit, Holding(3, 1), 1) == Holding(4, 2)
    with pytest.raises(InvalidRequest, match="^Purchase limit reached: at most 4 tickets per "
                                             "buyer for this event, you already have 3$"):
        admit(limit, Holding(3, 1), 2)
    assert admit(SalesPolicy(), Holding(400, 100), 4) == Holding(404, 101)


def test_one_open_booking_is_a_conflict_only_while_one_is_open():
    one = SalesPolicy(one_open_booking_per_buyer=True)
    assert admit(one, Holding(4, 0), 4) == Holding(8, 1)  # paid bookings are not open
    with pytest.raises(Conflict, match=f"^{OPEN_BOOKING_EXISTS}$"):
        admit(one, Holding(1, 1), 1)


@pytest.mark.parametrize(("policy", "detail"), [
    (SalesPolicy(sales_start=AT, sales_end=AT), "sales_end must be after sales_start"),
    (SalesPolicy(max_tickets_per_buyer=0), "max_tickets_per_buyer must be from 1 to 10000"),
    (SalesPolicy(max_tickets_per_buyer=10_001), "max_tickets_per_buyer must be from 1"),
    (SalesPolicy(sales_end=datetime(2026, 1, 1)), "sales_end must carry its UTC offset")])
def test_a_bad_policy_is_refused(policy, detail):
    with pytest.raises(InvalidRequest, match=detail):
        check_sales(policy)


def test_counted_statuses_are_those_that_hold_or_may_hold_seats():
    holding = {BookingStatus.PROCESSING, BookingStatus.PENDING_PAYMENT, BookingStatus.COMPLETED}
    assert holding == LIMIT_COUNTED


async def _event(world: World, **sales) -> int:
    draft = EventDraft("Show", "", "Hall", WIDE, sales=SalesPolicy(**sales))
    return (await world.service.create_event(SELLER, draft)).id


async def test_a_buyer_is_refused_past_the_limit_and_gets_tickets_back_as_bookings_end():
    world = World()
    event_id = await _event(world, max_tickets_per_buyer=4)
    first = await world.book(event_id, 3)
    with pytest.raises(InvalidRequest, match="at most 4 tickets per buyer"):
        await world.book(event_id, 2)
    assert len(world.store.bookings) == 1 and len(world.publisher.sent) == 1
    await world.book(event_id, 1)  # exactly at the limit
    await world.book(event_id, 2, buyer=OTHER)  # another buyer has a count of their own
    for ended in (BookingStatus.FAILED, BookingStatus.CANCELLED, BookingStatus.REFUNDED):
        world.settle(first.id, ended)  # its 3 tickets are given back by the status alone
        again = await world.book(event_id, 3)
        world.settle(again.id, ended)
    world.settle(first.id, BookingStatus.COMPLETED)  # paid bookings count
    with pytest.raises(InvalidRequest, match="you already have 4"):
        await world.book(event_id, 1)


async def test_one_open_booking_per_buyer_refuses_a_second_until_the_first_settles():
    world = World()
    event_id = await _event(world, one_open_booking_per_buyer=True)
    first = await world.book(event_id, 1)
    with pytest.raises(Conflict, match=OPEN_BOOKING_EXISTS):
        await world.book(event_id, 1)
    world.settle(first.id, BookingStatus.PENDING_PAYMENT)
    with pytest.raises(Conflict):
        await world.book(event_id, 1)
    world.settle(first.id, BookingStatus.COMPLETED)
    assert (await world.book(event_id, 1)).status is BookingStatus.PROCESSING


async def test_a_retry_of_the_booking_that_reached_the_limit_gets_that_booking():
    world = World()
    event_id = await _event(world, max_tickets_per_buyer=2)
    first = await world.reply(event_id, 2, key="k-1")
    again = await world.reply(event_id, 2, key="k-1")
    assert (again.replayed, again.booking.id) == (True, first.booking.id)
    with pytest.raises(InvalidRequest, match="Purchase limit reached"):
        await world.reply(event_id, 2, key="k-2")
    assert len(world.store.bookings) == 1


async def test_bookings_are_taken_from_the_exact_start_until_just_before_the_end():
    world = World()
    start = world.clock.now() + timedelta(seconds=10)
    event_id = await _event(world, sales_start=start, sales_end=start + timedelta(minutes=1))
    world.clock.at = start - TICK
    with pytest.raises(InvalidRequest, match="Sales have not started: they open at"):
        await world.book(event_id, 1)
    world.clock.at = start
    await world.book(event_id, 1)
    world.clock.at = start + timedelta(minutes=1)
    with pytest.raises(InvalidRequest, match="^Sales have ended$"):
        await world.book(event_id, 1)
    assert len(world.store.bookings) == 1


async def test_a_limit_switched_on_later_counts_what_the_buyer_already_holds():
    world = World()
    event_id = await _event(world)
    await world.book(event_id, 4)
    await world.book(event_id, 4)
    event = world.store.events[event_id]
    world.store.events[event_id] = replace(event, sales=SalesPolicy(max_tickets_per_buyer=8))
    world.service.layouts.forget(event_id)
    with pytest.raises(InvalidRequest, match="you already have 8"):
        await world.book(event_id, 1)


async def test_a_new_layout_is_taken_before_the_first_booking_only():
    world = World()
    event_id, other_id = await _event(world), await _event(world)
    update = world.service.tickets.update_event
    taller = WIDE | {"rows": 12}
    event = await update(SELLER, event_id, EventChange(seating_config=taller))
    assert event.seating_config.rows == 12
    elsewhere = await world.book(other_id, 1)
    # A first booking commits while the change waits for the event's lock.
    world.store.between_read_and_write = lambda: world.store.bookings.update(
        {elsewhere.id: replace(elsewhere, event_id=event_id)})
    with pytest.raises(InvalidRequest, match=f"^{LAYOUT_LOCKED}$"):
        await update(SELLER, event_id, EventChange(seating_config=WIDE))
    assert world.store.events[event_id].seating_config.rows == 12
    repriced = await update(SELLER, event_id, EventChange(prices={"A": 400}))
    assert repriced.seating_config.section("A").price == 400


async def test_a_new_price_is_paid_by_bookings_made_after_it_only():
    world = World()
    event_id = await _event(world)
    before = await world.book(event_id, 2)
    await world.service.tickets.update_event(SELLER, event_id, EventChange(prices={"A": 400}))
    after = await world.book(event_id, 2)
    assert (world.store.bookings[before.id].total_price, after.total_price) == (500, 800)
    assert [c.total_price for c in world.publisher.sent] == [500, 800]


async def test_turning_limits_on_or_off_recounts_under_a_frozen_lock():
    world = World()
    event_id = await _event(world)
    update = world.service.tickets.update_event
    await update(SELLER, event_id, EventChange({"name": "Renamed"}))
    await update(SELLER, event_id, EventChange({"max_tickets_per_buyer": 4}))
    await update(SELLER, event_id, EventChange({"max_tickets_per_buyer": 6}))  # still on
    await update(SELLER, event_id, EventChange({"one_open_booking_per_buyer": True}))
    assert world.store.frozen  # a change naming a limit freezes the booking writes
    await update(SELLER, event_id, EventChange({"max_tickets_per_buyer": None,
                                                "one_open_booking_per_buyer": False}))
    await update(SELLER, event_id, EventChange({"name": "Again"}))
    assert not world.store.frozen
    assert world.store.recounts == [(event_id, True, True), (event_id, False, True)]
