"""Steps of on_sale_rules.feature (spec/booking.md, rules 10–13)."""

from datetime import UTC, datetime, timedelta

from pytest_bdd import given, parsers, scenarios, then, when

from test.e2e.helpers import NAME, expect, get_booking
from test.e2e.scene import Scene

scenarios("on_sale_rules.feature")


def _patch(scene: Scene, change: dict) -> None:
    scene.response = scene.client.patch(f"/api/event/{scene.event['id']}", json=change,
                                        headers=scene.seller.headers)


def _now(hours: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


@given(parsers.parse("the seller allows {count:d} tickets per buyer"))
def ticket_limit(scene: Scene, count: int):
    _patch(scene, {"max_tickets_per_buyer": count})
    assert expect(scene.response, 200)["max_tickets_per_buyer"] == count


@given("the seller allows one open booking per buyer")
def one_open(scene: Scene):
    _patch(scene, {"one_open_booking_per_buyer": True})
    assert expect(scene.response, 200)["one_open_booking_per_buyer"] is True


@given("the seller opens sales in one hour")
def opens_later(scene: Scene):
    _patch(scene, {"sales_start": _now(1)})
    expect(scene.response, 200)


@when("the seller opens sales now")
def opens_now(scene: Scene):
    _patch(scene, {"sales_start": _now()})
    expect(scene.response, 200)


@when("the seller ends sales now")
def ends_now(scene: Scene):
    _patch(scene, {"sales_start": _now(-1), "sales_end": _now()})
    expect(scene.response, 200)


@then(parsers.parse("the event shows its sales {state}"))
def sales_state(scene: Scene, state: str):
    shown = expect(scene.client.get(f"/api/event/{scene.event['id']}"), 200)
    assert shown["sales_open"] is (state == "open") and shown["sales_start"] is not None


@then(parsers.re(r'the request is rejected with (?P<code>\d+) starting "(?P<start>.*)"'),
      converters={"code": int})
def rejected_starting(scene: Scene, code: int, start: str):
    assert expect(scene.response, code)["detail"].startswith(start)


@when(parsers.parse("the seller sets the price of section {section} to {price:d}"))
def sets_price(scene: Scene, section: str, price: int):
    _patch(scene, {"prices": {section: price}})
    body = expect(scene.response, 200)
    assert [s["price"] for s in body["subsections"] if s["section"] == section] == [price]


@then(parsers.re(rf"{NAME}'s bookings cost (?P<first>\d+) and (?P<second>\d+)"),
      converters={"first": int, "second": int})
def bookings_cost(scene: Scene, name: str, first: int, second: int):
    actor = scene.actors[name]
    ids = [b for owner, b in scene.bookings if owner == name]
    assert [get_booking(scene.client, actor, b)["total_price"] for b in ids] == [first, second]


@when(parsers.parse("the seller changes the layout to {rows:d} rows of {cols:d} seats"))
def changes_layout(scene: Scene, rows: int, cols: int):
    config = scene.event["seating_config"] | {"rows": rows, "cols": cols}
    _patch(scene, {"seating_config": config})
