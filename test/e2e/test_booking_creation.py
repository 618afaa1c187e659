"""Steps of booking_creation.feature (spec/booking.md, "Acceptance": creation)."""

from pytest_bdd import given, parsers, scenarios, then, when

from test.e2e.helpers import (
    FINAL,
    NAME,
    SEATS,
    expect,
    get_booking,
    seat_list,
    seat_map,
    sign_up,
    wait_for_status,
)
from test.e2e.scene import Scene

scenarios("booking_creation.feature")


@given(parsers.re(r"only (?P<left>\d+) seats of the subsection are left"),
       converters={"left": int})
def only_seats_left(scene: Scene, left: int):
    scene.actors["crowd"] = sign_up(scene.client, "buyer", "crowd")
    config = scene.event["seating_config"]
    to_take = config["rows"] * config["cols"] - left
    while to_take > 0:
        quantity = min(4, to_take)
        scene.settled("crowd", "pending_payment", quantity=quantity)
        to_take -= quantity


@when(parsers.re(rf"{NAME} asks for (?P<quantity>\d+) seats but picks only {SEATS}"),
      converters={"quantity": int})
def manual_count_mismatch(scene: Scene, name: str, quantity: int, seats: str):
    scene.submit(name, quantity=quantity, seats=seat_list(seats), mode="manual")


@when(parsers.re(rf"{NAME} asks for (?P<quantity>\d+) best available seats but also names "
                 rf"{SEATS}"),
      converters={"quantity": int})
def best_available_with_seats(scene: Scene, name: str, quantity: int, seats: str):
    scene.submit(name, quantity=quantity, seats=seat_list(seats), mode="best_available")


@then(parsers.re(rf"the booking holds seats {SEATS} for a total of (?P<total>\d+)"),
      converters={"total": int})
def holds_seats(scene: Scene, seats: str, total: int):
    owner = scene.owner
    booking = get_booking(scene.client, owner, scene.booking)
    assert sorted(booking["seat_positions"]) == sorted(seat_list(seats))
    assert booking["total_price"] == total
    assert sorted(t["seat_position"] for t in booking["tickets"]) == sorted(seat_list(seats))
    assert {t["status"] for t in booking["tickets"]} == {"reserved"}


@then(parsers.re(r"the booking holds (?P<quantity>\d+) seats side by side in one row, "
                 rf"none of them {NAME}'s"),
      converters={"quantity": int})
def holds_adjacent_seats(scene: Scene, quantity: int, name: str):
    booking = get_booking(scene.client, scene.actors["Alice"], scene.booking)
    positions = [tuple(map(int, p.split("-"))) for p in booking["seat_positions"]]
    assert len(positions) == quantity, booking
    assert len({row for row, _ in positions}) == 1, f"not in one row: {positions}"
    seats = sorted(seat for _, seat in positions)
    assert seats == list(range(seats[0], seats[0] + quantity)), f"not adjacent: {positions}"
    others = get_booking(scene.client, scene.actors[name], scene.booking_of(name))
    assert not set(booking["seat_positions"]) & set(others["seat_positions"])
    current = seat_map(scene.client, scene.event["id"])
    assert {current[p] for p in booking["seat_positions"]} == {"reserved"}


@then(parsers.re(rf"{NAME} has no bookings"))
def has_no_bookings(scene: Scene, name: str):
    listed = scene.client.get("/api/booking/my_booking", headers=scene.actors[name].headers)
    assert expect(listed, 200) == []


@then(parsers.re(rf"{NAME} can look the booking up right away"))
def looks_up_booking(scene: Scene, name: str):
    booking = get_booking(scene.client, scene.actors[name], scene.booking)
    assert booking["id"] == scene.booking
    assert booking["status"] in {"processing", "pending_payment"}, booking
    assert booking["quantity"] == 2 and booking["seat_selection_mode"] == "best_available"


@then(parsers.re(rf"the reservation service receives the booking and locks seats {SEATS}"))
def reservation_locks_seats(scene: Scene, seats: str):
    owner = scene.owner
    booking = wait_for_status(scene.client, owner, scene.booking, FINAL)
    assert booking["status"] == "pending_payment", booking
    assert sorted(booking["seat_positions"]) == sorted(seat_list(seats))
    assert {t["status"] for t in booking["tickets"]} == {"reserved"}
