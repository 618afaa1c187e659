"""The payment deadline over the fakes (spec/booking.md, rule 6): `hold_seconds` at its edges,
`expires_at` in answers and SSE payloads, lazy expiry on pay, cancel and reads, and the
sweeper's expiry, announcement and release."""

from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from src.service.contract import BookingCancelled
from src.service.lifecycle import FINAL, HOLDING, OPEN, BookingStatus
from src.service.ticketing.application.create_event import EventDraft
from src.service.ticketing.application.messages import status_update
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.event import check_hold_seconds
from src.service.ticketing.entrypoints.http import create_app
from test.ticket_fakes import BUYER, LAYOUT, SELLER
from test.unit.test_http_tickets import bearer
from test.unit.test_ticketing_use_cases import World

PENDING, EXPIRED = BookingStatus.PENDING_PAYMENT, BookingStatus.EXPIRED
SHOW = {"name": "Show", "seating_config": LAYOUT}
RANGE = "hold_seconds must be a whole number of seconds from 30 to 86400"


@pytest.fixture
def world() -> World:
    return World()


async def held(world: World, hold_s: float = 60, seats=("1-1", "1-2")):
    """A booking settled holding `seats` on an event with a payment deadline `hold_s` from
    now (what the reservation service writes, spec/booking.md, rule 6)."""
    event = await world.service.create_event(
        SELLER, EventDraft("Show", "", "Hall", LAYOUT, hold_seconds=30))
    booking = await world.book(event.id, len(seats), seats=list(seats))
    world.store.bookings[booking.id] = replace(
        world.store.bookings[booking.id], status=PENDING,
        expires_at=world.clock.now() + timedelta(seconds=hold_s))
    return world.store.bookings[booking.id]


def test_expired_is_final_and_holds_no_seats():
    assert EXPIRED in FINAL and EXPIRED not in OPEN and EXPIRED not in HOLDING


@pytest.mark.parametrize("value", [None, 30, 86_400])
def test_hold_seconds_takes_null_and_both_edges(value):
    assert check_hold_seconds(value) == value


@pytest.mark.parametrize("value", [29, 86_401, 0, -30, 30.5, True, "60"])
def test_hold_seconds_refuses_what_is_outside_or_not_an_integer(value):
    with pytest.raises(InvalidRequest, match=RANGE):
        check_hold_seconds(value)


@pytest.fixture
async def client_of(world):
    transport = httpx.ASGITransport(app=create_app(world.service, fast_path=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.mark.parametrize("value", [30, 86_400, None])
async def test_an_event_is_created_with_hold_seconds_at_the_edges(world, client_of, value):
    response = await client_of.post("/api/event", json=SHOW | {"hold_seconds": value},
                                    headers=bearer(world, SELLER))
    assert response.status_code == 201, response.text
    assert response.json()["hold_seconds"] == value
    assert world.store.events[response.json()["id"]].hold_seconds == value


@pytest.mark.parametrize(("value", "detail"), [
    (29, RANGE), (86_401, RANGE), (30.5, "hold_seconds: Input should be a valid integer"),
    ("60", "hold_seconds: Input should be a valid integer"),
    (True, "hold_seconds: Input should be a valid integer")])
async def test_a_bad_hold_seconds_is_a_400_and_creates_nothing(world, client_of, value, detail):
    response = await client_of.post("/api/event", json=SHOW | {"hold_seconds": value},
                                    headers=bearer(world, SELLER))
    assert response.status_code == 400
    assert detail in response.json()["detail"]
    assert world.store.events == {}


async def test_a_held_booking_carries_expires_at_in_answers_and_its_status_update(
        world, client_of):
    booking = await held(world)
    answer = (await client_of.get(f"/api/booking/{booking.id}",
                                  headers=bearer(world, BUYER))).json()
    assert answer["status"] == "pending_payment"
    assert answer["expires_at"] == booking.expires_at.isoformat().replace("+00:00", "Z")
    listed = (await client_of.get("/api/booking/my_booking", headers=bearer(world, BUYER))).json()
    assert [b["expires_at"] for b in listed] == [answer["expires_at"]]
    assert status_update(booking).expires_at == booking.expires_at


async def test_pay_before_the_deadline_is_paid(world):
    booking = await held(world, hold_s=60)
    world.clock.advance(59.999)
    paid = (await world.service.pay_booking(BUYER, booking.id)).booking
    assert paid.status is BookingStatus.COMPLETED


async def test_pay_at_the_deadline_is_refused_and_changes_nothing(world):
    booking = await held(world, hold_s=60)
    world.clock.advance(60)  # expires_at itself is past the deadline
    with pytest.raises(InvalidRequest, match="^Booking has expired$"):
        await world.service.pay_booking(BUYER, booking.id)
    assert world.store.bookings[booking.id].status is PENDING  # the sweeper has not run
    assert world.notifier.statuses == [] and world.store.issued == {}


async def test_pay_loses_to_the_sweeper_between_its_read_and_its_write(world):
    booking = await held(world, hold_s=60)
    world.clock.advance(59)  # the payer is in time when it reads the booking...
    world.meanwhile(lambda: world.settle(booking.id, EXPIRED))  # ...another process expires it
    with pytest.raises(InvalidRequest, match="^Booking has expired$"):
        await world.service.pay_booking(BUYER, booking.id)
    assert world.store.bookings[booking.id].status is EXPIRED
    assert world.store.issued == {} and world.notifier.statuses == []


async def test_cancel_past_the_deadline_is_refused_as_expired(world):
    booking = await held(world, hold_s=60)
    world.clock.advance(61)
    with pytest.raises(InvalidRequest, match="^Cannot cancel an expired booking$"):
        await world.service.cancel_booking(BUYER, booking.id)


async def test_reads_past_the_deadline_show_expired_before_the_sweeper_runs(world):
    booking = await held(world, hold_s=60)
    world.clock.advance(60)
    assert (await world.service.get_booking(BUYER, booking.id)).booking.status is EXPIRED
    assert [b.status for b in await world.service.list_bookings(BUYER, None)] == [EXPIRED]
    assert [b.id for b in await world.service.list_bookings(BUYER, EXPIRED)] == [booking.id]
    assert await world.service.list_bookings(BUYER, PENDING) == []
    recent = await world.service.recent_bookings(BUYER, booking.event_id, 60)
    assert [b.status for b in recent] == [EXPIRED]


async def test_the_sweeper_expires_only_due_bookings_announces_and_releases_them(world):
    due = await held(world, hold_s=30, seats=("1-1", "1-2"))
    later = await held(world, hold_s=31, seats=("1-3",))
    unlimited = await held(world, seats=("1-4",))
    world.store.bookings[unlimited.id] = replace(unlimited, expires_at=None)
    world.clock.advance(30)
    assert await world.service.expire_holds() == 1
    statuses = {i: b.status for i, b in world.store.bookings.items()}
    assert statuses == {due.id: EXPIRED, later.id: PENDING, unlimited.id: PENDING}
    [update] = world.notifier.statuses
    assert (update.booking_id, update.status, update.expires_at) == (
        due.id, "expired", due.expires_at)
    assert [(s.section, s.subsection, s.available) for s in world.notifier.states] == [("A", 1, 2)]
    released = [c for c in world.publisher.sent if isinstance(c, BookingCancelled)]
    assert [(c.booking_id, c.seat_positions) for c in released] == [(due.id, ["1-1", "1-2"])]
    assert world.store.release_pending == set()
    assert await world.service.expire_holds() == 0


async def test_a_release_the_broker_did_not_take_is_resent_by_the_relay(world):
    booking = await held(world, hold_s=30)
    world.publisher.fail_next = 1
    world.clock.advance(30)
    assert await world.service.expire_holds() == 1
    assert world.store.release_pending == {booking.id}
    world.clock.advance(11)
    await world.service.relay_outbox()
    assert [c.booking_id for c in world.publisher.sent if isinstance(c, BookingCancelled)] == [
        booking.id]
    assert world.store.release_pending == set()
