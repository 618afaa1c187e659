"""Steps of booking_payment.feature (spec/booking.md, "Acceptance": payment)."""

from pytest_bdd import parsers, scenarios, then

from test.e2e.helpers import SEATS, expect, get_booking, seat_list
from test.e2e.scene import Scene

scenarios("booking_payment.feature")


def _booking(scene: Scene) -> dict:
    return get_booking(scene.client, scene.owner, scene.booking)


@then("the payment is accepted")
def payment_accepted(scene: Scene):
    body = expect(scene.response, 200)
    assert (body["id"], body["status"]) == (scene.booking, "completed"), body


@then("the booking shows when it was paid")
def paid_at_set(scene: Scene):
    booking = _booking(scene)
    assert booking["paid_at"] is not None and booking["paid_at"] >= booking["created_at"]


@then(parsers.re(rf"the tickets for seats {SEATS} are sold, each with its own ticket code"))
def tickets_sold(scene: Scene, seats: str):
    tickets = _booking(scene)["tickets"]
    assert sorted(t["seat_position"] for t in tickets) == sorted(seat_list(seats))
    assert {t["status"] for t in tickets} == {"sold"}
    codes = [t["code"] for t in tickets]
    assert all(codes) and len(set(codes)) == len(codes), codes
