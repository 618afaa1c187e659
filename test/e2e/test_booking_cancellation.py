"""Steps of booking_cancellation.feature (spec/booking.md, "Acceptance": cancellation)."""

from pytest_bdd import parsers, scenarios, then

from test.e2e.helpers import (
    FINAL,
    SEATS,
    book_when_free,
    expect,
    get_booking,
    seat_list,
    sign_up,
    wait_for_status,
)
from test.e2e.scene import Scene

scenarios("booking_cancellation.feature")


@then("the cancellation is accepted")
def cancellation_accepted(scene: Scene):
    body = expect(scene.response, 200)
    assert (body["id"], body["status"]) == (scene.booking, "cancelled"), body


@then("the booking holds no tickets any more")
def holds_no_tickets(scene: Scene):
    booking = get_booking(scene.client, scene.owner, scene.booking)
    assert booking["tickets"] == [], booking


@then(parsers.re(rf"another buyer can book seats {SEATS} again"))
def another_buyer_books_seats(scene: Scene, seats: str):
    bob = scene.actors["Bob"] = sign_up(scene.client, "buyer", "Bob")
    booking_id = book_when_free(scene.client, bob, scene.event["id"], seats=seat_list(seats))
    booking = wait_for_status(scene.client, bob, booking_id, FINAL)
    assert booking["status"] == "pending_payment", booking
    assert sorted(booking["seat_positions"]) == sorted(seat_list(seats))


@then(parsers.re(r"another buyer can book all (?P<count>\d+) seats of the subsection"),
      converters={"count": int})
def another_buyer_books_all(scene: Scene, count: int):
    bob = scene.actors["Bob"] = sign_up(scene.client, "buyer", "Bob")
    held: list[str] = []
    while len(held) < count:
        quantity = min(4, count - len(held))
        booking_id = book_when_free(scene.client, bob, scene.event["id"], quantity)
        booking = wait_for_status(scene.client, bob, booking_id, FINAL)
        assert booking["status"] == "pending_payment", booking
        held += booking["seat_positions"]
    assert len(set(held)) == count
