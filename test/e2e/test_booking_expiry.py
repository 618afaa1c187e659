"""Steps of booking_expiry.feature (spec/booking.md, rule 6): a short payment deadline, the
ticketing process's expiry sweeper on a fast interval (`TICKETING_EXPIRY_INTERVAL_S` in
conftest), the real reservation service releasing the seats."""

import time
import uuid
from datetime import datetime, timedelta

from pytest_bdd import given, parsers, scenarios, then, when

from test.e2e.helpers import (
    FINAL,
    NAME,
    SEATS,
    book_when_free,
    expect,
    get_booking,
    seat_list,
    sign_up,
    wait_for_status,
)
from test.e2e.scene import Scene
from test.e2e.sse import SseListener

scenarios("booking_expiry.feature")
RELEASED_WITHIN_S = 10.0  # "bookable within a few seconds of the deadline"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@given(parsers.parse("a seller has an event on sale with {rows:d} rows of {cols:d} seats at "
                     "{price:d} each and a payment deadline of {hold:d} seconds"))
def event_with_deadline(scene: Scene, rows: int, cols: int, price: int, hold: int):
    scene.seller = sign_up(scene.client, "seller", "Sam Seller")
    body = {"name": f"Show {uuid.uuid4().hex[:8]}", "hold_seconds": hold,
            "seating_config": {"rows": rows, "cols": cols,
                               "sections": [{"name": "A", "price": price, "subsections": 1}]}}
    scene.event = expect(scene.client.post("/api/event", json=body,
                                           headers=scene.seller.headers), 201)
    assert scene.event["hold_seconds"] == hold


@given(parsers.re(rf"{NAME} is watching that booking until it ends"))
def watching_until_it_ends(scene: Scene, name: str):
    path = f"/api/booking/event/{scene.event['id']}/sse?booking_id={scene.booking}"
    listener = SseListener(scene.client, path, scene.actors[name].headers, timeout=90.0)
    scene.listeners[name] = listener
    _, update = listener.wait_for(lambda event, data: event == "status_update"
                                  and data["status"] == "pending_payment")
    scene.notes["streamed_expires_at"] = update["expires_at"]


@then(parsers.parse("the booking must be paid within {hold:d} seconds of being held"))
def deadline_shown(scene: Scene, hold: int):
    booking = get_booking(scene.client, scene.owner, scene.booking)
    expires_at = _at(booking["expires_at"])
    # Held and given its deadline in one statement, so `updated_at` is the moment of the hold.
    assert expires_at - _at(booking["updated_at"]) == timedelta(seconds=hold), booking
    assert _at(scene.notes["streamed_expires_at"]) == expires_at
    scene.notes["expires_at"] = expires_at


@when("the payment deadline passes")
def deadline_passes(scene: Scene):
    left = scene.notes["expires_at"].timestamp() - time.time()
    time.sleep(max(left, 0.0) + 0.05)


@then(parsers.re(rf"{NAME} can book seats {SEATS} within a few seconds of the deadline"))
def books_released_seats(scene: Scene, name: str, seats: str):
    buyer = scene.actors[name]
    booking_id = book_when_free(scene.client, buyer, scene.event["id"], seats=seat_list(seats),
                                timeout=RELEASED_WITHIN_S)
    accepted_after = time.time() - scene.notes["expires_at"].timestamp()
    booking = wait_for_status(scene.client, buyer, booking_id, FINAL)
    assert booking["status"] == "pending_payment", booking
    assert sorted(booking["seat_positions"]) == sorted(seat_list(seats))
    assert accepted_after < RELEASED_WITHIN_S, accepted_after
