"""Security headers on every response and the JSON body rules, over ASGI with fakes, the
booking fast path on and off (spec/security.md, "HTTP")."""

import asyncio
import json
import re
import time

import httpx
import pytest

from src.service.ticketing.entrypoints.http import create_app
from test.unit.test_http_accept import BOOK, bearer
from test.unit.test_ticketing_use_cases import BUYER, SELLER, World

SECURITY_HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
                    "referrer-policy": "no-referrer"}
JSON = {"Content-Type": "application/json"}



def booking_body(event_id: int) -> bytes:
    return json.dumps(BOOK | {"event_id": event_id}).encode()


def assert_hardened(response: httpx.Response) -> None:
    assert {k: response.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers.get_list("cache-control") == ["no-store"]


async def test_every_response_carries_the_security_headers(world_and_client):
    world, client = world_and_client
    event_id = await world.event()
    responses = [
        await client.post("/api/booking", content=booking_body(event_id),
                          headers=bearer(BUYER) | JSON),
        await client.post("/api/booking", content=booking_body(event_id), headers=JSON),
        await client.post("/api/booking", content=b"{", headers=bearer(BUYER) | JSON),
        await client.get("/api/event"),
        await client.get("/api/event/999"),
        await client.get(f"/api/event/{event_id}/sse"),
        await client.get("/health"),
        await client.get("/no/such/route"),
        await client.get("/openapi.json"),
    ]
    assert [r.status_code for r in responses] == [202, 401, 400, 200, 404, 200, 200, 404, 200]
    for response in responses:
        assert_hardened(response)
    assert "default-src 'none'" in responses[0].headers["content-security-policy"]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_pages_load_their_assets_from_this_server_only(world_and_client, page):
    _, client = world_and_client
    response = await client.get(page)
    assert response.status_code == 200
    assert_hardened(response)
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert assets and all(a.startswith("/docs-assets/") or a == "/openapi.json" for a in assets)
    for asset in assets:
        assert (await client.get(asset)).status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline';" in policy and "http" not in policy
    assert "connect-src 'self'" in policy and "default-src 'none'" in policy
    api_policy = (await client.get("/api/event")).headers["content-security-policy"]
    assert "unsafe-inline" not in api_policy


def json_routes(event_id: int) -> list[tuple[str, dict, dict]]:
    """(path, body, headers) of every route that takes a JSON body."""
    return [
        ("/api/user", {"email": "a@x.io", "password": "bright-orange-kite", "name": "A",
                       "role": "buyer"}, {}),
        ("/api/user/login", {"email": "a@x.io", "password": "bright-orange-kite"}, {}),
        ("/api/user/password", {"current_password": "a", "new_password": "b"}, bearer(BUYER)),
        ("/api/event", {"name": "x", "seating_config": {}}, bearer(SELLER)),
        ("/api/booking", BOOK | {"event_id": event_id}, bearer(BUYER)),
    ]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/jsonx"])
async def test_json_routes_require_a_json_content_type(world_and_client, content_type):
    world, client = world_and_client
    event_id = await world.event()
    before = (dict(world.store.users), dict(world.store.events), dict(world.store.bookings))
    for path, body, headers in json_routes(event_id):
        sent = headers | ({"Content-Type": content_type} if content_type else {})
        response = await client.post(path, content=json.dumps(body).encode(), headers=sent)
        assert (response.status_code, response.json()) == (
            415, {"detail": "Content-Type must be application/json"}), path
        assert_hardened(response)
    assert (dict(world.store.users), dict(world.store.events), dict(world.store.bookings)) == before


async def test_a_charset_parameter_is_fine(world_and_client):
    world, client = world_and_client
    response = await client.post(
        "/api/booking", content=booking_body(await world.event()),
        headers=bearer(BUYER) | {"Content-Type": "Application/JSON; charset=utf-8"})
    assert response.status_code == 202


@pytest.mark.parametrize("chunked", [False, True], ids=["content_length", "chunked"])
async def test_a_body_over_64_kib_is_refused_unread(world_and_client, chunked):
    world, client = world_and_client
    padded = booking_body(await world.event())[:-1] + b" " * (64 * 1024) + b"}"

    async def chunks():
        for i in range(0, len(padded), 8192):
            yield padded[i:i + 8192]
    response = await client.post("/api/booking", content=chunks() if chunked else padded,
                                 headers=bearer(BUYER) | JSON)
    assert (response.status_code, response.json()) == (413, {"detail": "Request body too large"})
    assert world.store.bookings == {}


async def test_a_chunked_body_within_the_bound_is_served(world_and_client):
    world, client = world_and_client
    body = booking_body(await world.event())

    async def chunks():
        yield body[:10]
        yield body[10:]
    response = await client.post("/api/booking", content=chunks(), headers=bearer(BUYER) | JSON)
    assert response.status_code == 202


@pytest.fixture(params=[True, False], ids=["fast_path", "route"])
async def impatient(request):
    """A world whose JSON routes wait 0.2 s for a body, and a client of it."""
    world = World(body_timeout_s=0.2)
    transport = httpx.ASGITransport(app=create_app(world.service, fast_path=request.param))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield world, client


@pytest.mark.parametrize("length", [None, "200"], ids=["chunked", "content_length"])
async def test_a_body_that_stops_arriving_is_answered_408_and_the_connection_closed(
    impatient, length
):
    world, client = impatient
    body = booking_body(await world.event())

    async def stalled():
        yield body[:1]
        await asyncio.Event().wait()  # the client sends nothing more
    headers = bearer(BUYER) | JSON | ({"Content-Length": length} if length else {})
    started = time.monotonic()
    async with asyncio.timeout(3):  # without a deadline the request would hang
        response = await client.post("/api/booking", content=stalled(), headers=headers)
    assert (response.status_code, response.json()) == (
        408, {"detail": "Request body not received in time"})
    assert 0.2 <= time.monotonic() - started < 2
    assert response.headers["connection"] == "close"
    assert_hardened(response)
    assert world.store.bookings == {}


async def test_a_slow_body_that_arrives_within_the_deadline_is_served(impatient):
    world, client = impatient
    body = booking_body(await world.event())

    async def trickled():
        for i in range(0, len(body), 40):
            await asyncio.sleep(0.02)
            yield body[i:i + 40]
    response = await client.post("/api/booking", content=trickled(), headers=bearer(BUYER) | JSON)
    assert response.status_code == 202
    assert len(world.store.bookings) == 1
