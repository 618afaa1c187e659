"""The public event list over HTTP with fakes: filters, order by start, pages with a total,
and bad input answered 400 (spec/tickets.md, rule 17)."""

from urllib.parse import quote

import httpx
import pytest

from src.service.ticketing.entrypoints.http import create_app
from test.ticket_fakes import LAYOUT, SELLER, TicketWorld
from test.unit.test_http_tickets import bearer


@pytest.fixture
async def world_and_client():
    world = TicketWorld()
    transport = httpx.ASGITransport(app=create_app(world.service, fast_path=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield world, client


async def event(world, client, name, starts_at=None, venue="Hall", description=""):
    body = {"name": name, "venue_name": venue, "description": description,
            "seating_config": LAYOUT}
    if starts_at:
        body["starts_at"] = starts_at
    created = await client.post("/api/event", json=body, headers=bearer(world, SELLER))
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def names(client, query=""):
    response = await client.get(f"/api/event{query}")
    assert response.status_code == 200, response.text
    page = response.json()
    return [e["name"] for e in page["items"]], page["total"]


async def test_events_come_by_start_undated_last_in_pages_with_the_total(world_and_client):
    world, client = world_and_client
    await event(world, client, "Undated")
    await event(world, client, "June", "2026-06-01T20:00:00+02:00")
    await event(world, client, "May", "2026-05-01T20:00:00+00:00")
    await event(world, client, "July", "2026-07-01T20:00:00-05:00")
    assert await names(client) == (["May", "June", "July", "Undated"], 4)
    assert await names(client, "?limit=2") == (["May", "June"], 4)
    assert await names(client, "?limit=2&offset=2") == (["July", "Undated"], 4)
    assert await names(client, "?limit=2&offset=9") == ([], 4)


async def test_filters_by_start_range_and_text_combine(world_and_client):
    world, client = world_and_client
    await event(world, client, "Jazz night", "2026-05-01T20:00:00+00:00")
    await event(world, client, "Rock", "2026-06-01T20:00:00+00:00", venue="Jazz Cellar")
    await event(world, client, "Opera", "2026-07-01T20:00:00+00:00",
                description="no jazz here, honest")
    await event(world, client, "Undated jazz")
    since = quote("2026-05-15T00:00:00+00:00")
    until = quote("2026-06-30T00:00:00+00:00")
    assert await names(client, f"?starts_from={since}") == (["Rock", "Opera"], 2)
    assert await names(client, f"?starts_until={until}") == (["Jazz night", "Rock"], 2)
    assert await names(client, f"?starts_from={since}&starts_until={until}") == (["Rock"], 1)
    assert await names(client, "?q=JAZZ") == (["Jazz night", "Rock", "Opera", "Undated jazz"],
                                              4)
    assert await names(client, f"?q=jazz&starts_from={since}") == (["Rock", "Opera"], 2)
    assert await names(client, "?q=%20%20") == (["Jazz night", "Rock", "Opera",
                                                 "Undated jazz"], 4)  # blank: no filter


async def test_status_and_seller_filters(world_and_client):
    world, client = world_and_client
    first = await event(world, client, "Open")
    await event(world, client, "Also open")
    assert await names(client, "?status=ended") == ([], 0)
    assert await names(client, f"?seller_id={SELLER.user_id}") == (["Open", "Also open"], 2)
    assert await names(client, "?seller_id=99") == ([], 0)
    assert first == 1


@pytest.mark.parametrize("query", [
    "?limit=0", "?limit=101", "?offset=-1", "?offset=99999999999999999999", "?status=nope",
    "?starts_from=2026-05-01T20:00:00",  # no offset
    "?starts_from=2026-06-01T00:00:00%2B00:00&starts_until=2026-05-01T00:00:00%2B00:00",
    "?q=" + "x" * 101, "?q=a%00b", "?seller_id=99999999999", "?starts_from=soon",
])
async def test_bad_input_is_a_400_with_a_message(world_and_client, query):
    _, client = world_and_client
    response = await client.get(f"/api/event{query}")
    assert response.status_code == 400, (query, response.text)
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]
