"""On-sale rules and event changes over HTTP with fakes (spec/booking.md, rules 10–13): the
answers' codes and messages, the event's new fields, and PATCH of every changeable field,
each refusal changing nothing."""

from datetime import UTC, datetime, timedelta

import pytest

from test.ticket_fakes import BUYER, LAYOUT, OTHER, SELLER, TicketWorld
from test.unit.conftest import client_of
from test.unit.test_http_tickets import bearer

LATER = (datetime.now(UTC) + timedelta(days=1)).isoformat()
BOOK = {"section": "A", "subsection": 1, "quantity": 2, "seat_selection_mode": "best_available"}


@pytest.fixture(params=[True, False], ids=["fast_path", "route"])
async def world_and_client(request):
    async with client_of(TicketWorld(), request.param) as pair:
        yield pair


async def _create(client, world, **fields) -> dict:
    response = await client.post("/api/event", json={"name": "Show", "seating_config": LAYOUT}
                                 | fields, headers=bearer(world, SELLER))
    assert response.status_code == 201, response.text
    return response.json()


async def test_the_event_shows_its_window_limits_and_whether_it_is_open(world_and_client):
    world, client = world_and_client
    plain = await _create(client, world)
    assert {k: plain[k] for k in ("sales_start", "sales_end", "max_tickets_per_buyer",
                                  "one_open_booking_per_buyer", "sales_open")} == {
        "sales_start": None, "sales_end": None, "max_tickets_per_buyer": None,
        "one_open_booking_per_buyer": False, "sales_open": True}
    later = await _create(client, world, sales_start=LATER, max_tickets_per_buyer=4)
    shown = (await client.get(f"/api/event/{later['id']}")).json()
    assert (shown["sales_open"], shown["max_tickets_per_buyer"]) == (False, 4)
    assert datetime.fromisoformat(shown["sales_start"]) == datetime.fromisoformat(LATER)
    listed = (await client.get("/api/event")).json()["items"]
    assert [e["sales_open"] for e in listed] == [True, False]


async def test_refusals_are_immediate_4xx_and_store_nothing(world_and_client):
    world, client = world_and_client
    buyer = bearer(world, BUYER)
    closed = await _create(client, world, sales_start=LATER)
    response = await client.post("/api/booking", json=BOOK | {"event_id": closed["id"]},
                                 headers=buyer)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Sales have not started: they open at ")
    limited = await _create(client, world, max_tickets_per_buyer=3)
    first = await client.post("/api/booking", json=BOOK | {"event_id": limited["id"]},
                              headers=buyer)
    assert first.status_code == 202
    over = await client.post("/api/booking", json=BOOK | {"event_id": limited["id"]},
                             headers=buyer)
    assert (over.status_code, over.json()) == (400, {"detail": (
        "Purchase limit reached: at most 3 tickets per buyer for this event, "
        "you already have 2")})
    one = await _create(client, world, one_open_booking_per_buyer=True)
    assert (await client.post("/api/booking", json=BOOK | {"event_id": one["id"]},
                              headers=buyer)).status_code == 202
    second = await client.post("/api/booking", json=BOOK | {"event_id": one["id"]},
                               headers=buyer)
    assert (second.status_code, second.json()) == (
        409, {"detail": "You already have an open booking on this event"})
    assert len(world.store.bookings) == 2


async def test_patch_changes_what_is_sent_and_keeps_the_rest(world_and_client):
    world, client = world_and_client
    event = await _create(client, world, description="Old", starts_at=LATER)
    patch = {"name": " New name ", "venue_name": "Arena", "max_tickets_per_buyer": 6,
             "one_open_booking_per_buyer": True, "sales_end": LATER, "prices": {"A": 900}}
    changed = await client.patch(f"/api/event/{event['id']}", json=patch,
                                 headers=bearer(world, SELLER))
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["venue_name"], body["description"]) == ("New name", "Arena", "Old")
    assert (body["max_tickets_per_buyer"], body["one_open_booking_per_buyer"]) == (6, True)
    assert body["seating_config"]["sections"][0]["price"] == 900
    assert body["subsections"][0]["price"] == 900
    assert body["starts_at"] == event["starts_at"] and body["sales_end"] is not None
    off = await client.patch(f"/api/event/{event['id']}", json={"max_tickets_per_buyer": None},
                             headers=bearer(world, SELLER))
    assert off.json()["max_tickets_per_buyer"] is None


@pytest.mark.parametrize(("patch", "status", "detail"), [
    ({"name": "  "}, 400, "Event name must not be empty"),
    ({"name": None}, 400, "name"),
    ({"prices": {"B": 100}}, 400, "No section named 'B' in this layout"),
    ({"prices": {"A": -1}}, 400, "Section A: price must be an integer from 0 to"),
    ({"max_tickets_per_buyer": 0}, 400, "max_tickets_per_buyer must be from 1 to 10000"),
    ({"sales_start": LATER, "sales_end": LATER}, 400, "sales_end must be after sales_start"),
    ({"sales_start": "2026-06-01T20:00:00"}, 400, "timezone"),
    ({"seating_config": {"rows": 0}}, 400, "seating_config.rows must be an integer"),
    ({"one_open_booking_per_buyer": "yes"}, 400, "one_open_booking_per_buyer"),
    ({"hold_seconds": 29}, 400, "hold_seconds must be a whole number of seconds from 30"),
    ({"hold_seconds": 86401}, 400, "hold_seconds must be a whole number of seconds from 30"),
    ({"hold_seconds": "60"}, 400, "hold_seconds"),
])
async def test_a_bad_change_is_a_400_and_changes_nothing(world_and_client, patch, status,
                                                           detail):
    world, client = world_and_client
    event = await _create(client, world)
    before = world.store.events[event["id"]]
    response = await client.patch(f"/api/event/{event['id']}", json=patch,
                                  headers=bearer(world, SELLER))
    assert response.status_code == status and detail in response.json()["detail"]
    assert world.store.events[event["id"]] == before


async def test_patch_sets_and_clears_the_payment_deadline(world_and_client):
    world, client = world_and_client
    event = await _create(client, world)
    assert event["hold_seconds"] is None
    seller = bearer(world, SELLER)
    for hold in (30, 86400, None):
        changed = await client.patch(f"/api/event/{event['id']}", json={"hold_seconds": hold},
                                     headers=seller)
        assert (changed.status_code, changed.json()["hold_seconds"]) == (200, hold)
        assert world.store.events[event["id"]].hold_seconds == hold
    kept = await client.patch(f"/api/event/{event['id']}", json={"name": "Renamed"},
                              headers=seller)
    assert kept.json()["hold_seconds"] is None


async def test_only_the_seller_changes_the_event(world_and_client):
    world, client = world_and_client
    event = await _create(client, world)
    for who in (BUYER, OTHER):
        response = await client.patch(f"/api/event/{event['id']}", json={"prices": {"A": 1}},
                                      headers=bearer(world, who))
        assert (response.status_code, response.json()) == (
            403, {"detail": "Only the seller of this event can change it"})
    assert world.store.events[event["id"]].seating_config.sections[0].price == 250
