"""Steps of booking_query.feature (spec/booking.md, "Acceptance": query, and rule 7)."""

import uuid

from pytest_bdd import given, parsers, scenarios, then, when

from test.e2e.helpers import (
    FINAL,
    NAME,
    SEATS,
    book,
    create_event,
    expect,
    seat_list,
    sign_up,
    wait_for_status,
)
from test.e2e.scene import Scene

scenarios("booking_query.feature")
PRONOUN = r"(?:she|he|they)"


@given(parsers.re(rf"{NAME} also has a booking on another seller's event"))
def booking_elsewhere(scene: Scene, name: str):
    other_seller = sign_up(scene.client, "seller", "Olga Other")
    event = create_event(scene.client, other_seller, rows=1, cols=2)
    buyer = scene.actors[name]
    booking_id = expect(book(scene.client, buyer, event["id"], quantity=1), 202)["id"]
    assert wait_for_status(scene.client, buyer, booking_id, FINAL)["status"] == "pending_payment"
    scene.notes["elsewhere"] = booking_id


@when(parsers.re(rf"{NAME} lists (?:her|his|their) (?:(?P<status>\w+) )?bookings"))
def lists_bookings(scene: Scene, name: str, status: str | None):
    params = {"booking_status": status} if status else {}
    scene.response = scene.client.get(
        "/api/booking/my_booking", params=params, headers=scene.actors[name].headers
    )


@when("the seller lists the bookings")
def seller_lists_bookings(scene: Scene):
    scene.response = scene.client.get("/api/booking/my_booking", headers=scene.seller.headers)


@when(parsers.re(rf"{NAME} opens (?:the|(?P<owner>\w+)'s) booking"))
def opens_booking(scene: Scene, name: str, owner: str | None):
    booking_id = scene.booking_of(owner) if owner else scene.booking
    scene.response = scene.client.get(
        f"/api/booking/{booking_id}", headers=scene.actors[name].headers
    )


@when(parsers.re(rf"{NAME} opens a booking that does not exist"))
def opens_missing_booking(scene: Scene, name: str):
    scene.response = scene.client.get(
        f"/api/booking/{uuid.uuid4()}", headers=scene.actors[name].headers
    )


@then(parsers.re(rf"{PRONOUN} sees exactly {NAME}'s (?P<count>\d+) bookings"),
      converters={"count": int})
def sees_own_bookings(scene: Scene, name: str, count: int):
    listed = {b["id"] for b in expect(scene.response, 200)}
    expected = {b for owner, b in scene.bookings if owner == name}
    assert listed == expected and len(listed) == count


@then(parsers.re(r"the seller sees exactly the (?P<count>\d+) bookings on the event"),
      converters={"count": int})
def seller_sees_event_bookings(scene: Scene, count: int):
    listed = expect(scene.response, 200)
    assert {b["id"] for b in listed} == {b for _, b in scene.bookings}
    assert len(listed) == count
    assert {b["event_id"] for b in listed} == {scene.event["id"]}


@then(parsers.re(rf"{PRONOUN} sees only (?:her|his|their) 1 (?P<status>\w+) booking"))
def sees_filtered(scene: Scene, status: str):
    listed = expect(scene.response, 200)
    assert [b["status"] for b in listed] == [status], listed
    assert listed[0]["id"] in {b for _, b in scene.bookings}


@then(parsers.re(rf"{PRONOUN} sees the event's name and venue"))
def sees_event(scene: Scene):
    event = expect(scene.response, 200)["event"]
    assert event == {"id": scene.event["id"], "name": scene.event["name"],
                     "venue_name": scene.event["venue_name"]}


@then(parsers.re(rf"{PRONOUN} sees (?:her|his|their) own name and e-mail as the buyer"))
def sees_buyer(scene: Scene):
    body = expect(scene.response, 200)
    owner = scene.owner
    assert body["buyer"] == {"id": owner.id, "name": owner.name, "email": owner.email}


@then(parsers.re(rf"{PRONOUN} sees seats {SEATS} reserved at (?P<price>\d+) each"),
      converters={"price": int})
def sees_seats(scene: Scene, seats: str, price: int):
    body = expect(scene.response, 200)
    tickets = {t["seat_position"]: (t["status"], t["price"]) for t in body["tickets"]}
    assert tickets == {p: ("reserved", price) for p in seat_list(seats)}
    assert sorted(body["seat_positions"]) == sorted(seat_list(seats))
    assert body["total_price"] == price * len(tickets)
