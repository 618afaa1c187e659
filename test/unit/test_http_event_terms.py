"""Event dates and refund settings over HTTP with fakes (spec/tickets.md, rule 13)."""

import httpx
import pytest

from src.service.ticketing.entrypoints.http import create_app
from test.ticket_fakes import BUYER, LAYOUT, SELLER, TicketWorld
from test.unit.test_http_tickets import bearer

SHOW = {"name": "Show", "seating_config": LAYOUT}


@pytest.fixture
async def world_and_client():
    world = TicketWorld()
    transport = httpx.ASGITransport(app=create_app(world.service, fast_path=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield world, client


async def test_an_event_without_dates_keeps_the_defaults(world_and_client):
    world, client = world_and_client
    body = (await client.post("/api/event", json=SHOW, headers=bearer(world, SELLER))).json()
    assert (body["starts_at"], body["ends_at"], body["refunds_enabled"]) == (None, None, True)
    assert body["refund_policy"] == [{"days_before": 7, "percent": 100},
                                     {"days_before": 3, "percent": 50}]


async def test_dates_with_offsets_and_a_policy_are_set_then_patched(world_and_client):
    world, client = world_and_client
    created = await client.post("/api/event", json=SHOW | {
        "starts_at": "2026-06-01T20:00:00+02:00", "ends_at": "2026-06-01T23:00:00+02:00",
        "refund_policy": [{"days_before": 1, "percent": 20}, {"days_before": 10, "percent": 80}],
    }, headers=bearer(world, SELLER))
    assert created.status_code == 201
    event = created.json()
    assert event["starts_at"] == "2026-06-01T20:00:00+02:00"
    assert event["refund_policy"][0] == {"days_before": 10, "percent": 80}
    patched = await client.patch(f"/api/event/{event['id']}", json={"refunds_enabled": False},
                                 headers=bearer(world, SELLER))
    assert patched.status_code == 200
    after = patched.json()
    assert (after["refunds_enabled"], after["starts_at"]) == (False, event["starts_at"])
    reset = await client.patch(f"/api/event/{event['id']}", json={"refund_policy": None},
                               headers=bearer(world, SELLER))
    assert reset.json()["refund_policy"][0] == {"days_before": 7, "percent": 100}
    buyer = await client.patch(f"/api/event/{event['id']}", json={"refunds_enabled": True},
                               headers=bearer(world, BUYER))
    assert (buyer.status_code, buyer.json()) == (
        403, {"detail": "Only the seller of this event can change it"})


@pytest.mark.parametrize(("terms", "detail"), [
    ({"starts_at": "2026-06-01T20:00:00"}, "timezone"),
    ({"starts_at": "tomorrow"}, "starts_at"),
    ({"ends_at": "2026-06-01T20:00:00Z"}, "ends_at needs starts_at"),
    ({"starts_at": "2026-06-01T20:00:00Z", "ends_at": "2026-06-01T19:00:00Z"},
     "ends_at must be after starts_at"),
    ({"refund_policy": [{"days_before": 3, "percent": 150}]}, "percent 1 to 100")])
async def test_bad_terms_are_a_400_and_create_nothing(world_and_client, terms, detail):
    world, client = world_and_client
    response = await client.post("/api/event", json=SHOW | terms, headers=bearer(world, SELLER))
    assert response.status_code == 400 and detail in response.json()["detail"]
    assert world.store.events == {}
