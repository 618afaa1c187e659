"""Steps of event_lifecycle.feature (spec/tickets.md, rules 18 and 19)."""

import uuid
from datetime import UTC, datetime, timedelta

from pytest_bdd import given, parsers, scenarios, then, when

from test.e2e.helpers import NAME, SEATS, expect, get_booking, seat_list, sign_up
from test.e2e.scene import Scene
from test.e2e.tickets_steps import my_tickets

scenarios("event_lifecycle.feature")


@given(parsers.parse("a seller has a draft event with {rows:d} rows of {cols:d} seats at "
                     "{price:d} each"))
def draft_event(scene: Scene, rows: int, cols: int, price: int):
    scene.seller = sign_up(scene.client, "seller", "Dana Draft")
    config = {"rows": rows, "cols": cols,
              "sections": [{"name": "A", "price": price, "subsections": 1}]}
    body = {"name": f"Draft {uuid.uuid4().hex[:8]}", "seating_config": config,
            "status": "draft"}
    scene.event = expect(scene.client.post("/api/event", json=body,
                                           headers=scene.seller.headers), 201)
    assert scene.event["status"] == "draft"


@when("the seller publishes the event")
def publishes(scene: Scene):
    response = scene.client.post(f"/api/event/{scene.event['id']}/status",
                                 json={"status": "on_sale"}, headers=scene.seller.headers)
    assert expect(response, 200)["status"] == "on_sale"


@given("the event starts tomorrow, too late for a refund by its policy")
def starts_tomorrow(scene: Scene):
    starts_at = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    response = scene.client.patch(f"/api/event/{scene.event['id']}",
                                  json={"starts_at": starts_at}, headers=scene.seller.headers)
    expect(response, 200)


@given(parsers.re(rf"{NAME} has a paid booking for seats {SEATS}"))
def paid_booking(scene: Scene, name: str, seats: str):
    booking = scene.settled(name, "pending_payment", seats=seat_list(seats))
    expect(scene.client.post(f"/api/booking/{booking['id']}/pay",
                             headers=scene.actors[name].headers), 200)


@when("the seller cancels the event")
def cancels(scene: Scene):
    scene.response = scene.client.post(f"/api/event/{scene.event['id']}/cancel",
                                       headers=scene.seller.headers)


@then(parsers.re(r"the event is cancelled with (?P<cancelled>\d+) bookings? cancelled and "
                 r"(?P<refunded>\d+) refunded"), converters={"cancelled": int, "refunded": int})
def cancelled_with(scene: Scene, cancelled: int, refunded: int):
    body = expect(scene.response, 200)
    assert (body["status"], body["bookings_cancelled"], body["bookings_refunded"]) == (
        "cancelled", cancelled, refunded)
    detail = expect(scene.client.get(f"/api/event/{scene.event['id']}"), 200)
    assert detail["status"] == "cancelled"


@then(parsers.re(rf"{NAME}'s tickets for seats {SEATS} are refunded with (?P<amount>\d+) each "
                 r"paid back"), converters={"amount": int})
def tickets_refunded(scene: Scene, name: str, seats: str, amount: int):
    actor = scene.actors[name]
    tickets = my_tickets(scene, actor)
    assert sorted(t["seat_position"] for t in tickets) == sorted(seat_list(seats))
    assert {t["status"] for t in tickets} == {"refunded"}
    booking = get_booking(scene.client, actor, scene.booking_of(name))
    assert booking["status"] == "refunded"
    assert {t["price"] for t in tickets} == {amount}


@then(parsers.re(rf"{NAME}'s booking is cancelled"))
def booking_cancelled(scene: Scene, name: str):
    booking = get_booking(scene.client, scene.actors[name], scene.booking_of(name))
    assert booking["status"] == "cancelled"
