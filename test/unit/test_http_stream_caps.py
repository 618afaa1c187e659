"""SSE stream caps over ASGI with fakes: per user, per client address and per process, each
with its own answer; a stream's slot is freed whatever way it ends (spec/security.md,
"Stream caps")."""

import httpx
import pytest

from src.service.ticketing.application.ports import Unavailable
from src.service.ticketing.application.stream_slots import StreamSlots
from src.service.ticketing.domain.errors import Overloaded, TooManyRequests
from src.service.ticketing.entrypoints.http import create_app
from test.unit.test_http_accept import bearer
from test.unit.test_ticketing_use_cases import BUYER, OTHER, World

CAPS = {"sse_max_per_user": 2, "sse_max_per_address": 3, "sse_max_streams": 4}


def client_of(world: World, address: str = "10.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(world.service), client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def assert_refused(response: httpx.Response, status: int, detail: str) -> None:
    assert (response.status_code, response.json()) == (status, {"detail": detail})
    assert response.headers["retry-after"] == "5"


def test_slots_count_per_user_per_address_and_in_all_and_free_once():
    slots = StreamSlots(per_user=2, per_address=3, total=4)
    first = slots.open(1, "a")
    slots.open(1, "a")
    with pytest.raises(TooManyRequests, match="for this user"):
        slots.open(1, "b")
    slots.open(None, "a")
    with pytest.raises(TooManyRequests, match="from this address"):
        slots.open(2, "a")
    slots.open(2, "b")
    with pytest.raises(Overloaded, match="on this server"):
        slots.open(3, "c")
    first()
    first()  # a second release frees nothing more
    assert slots.open_streams == 3
    slots.open(1, "c")
    with pytest.raises(Overloaded):
        slots.open(None, "d")


async def test_a_user_over_the_cap_gets_429_and_others_still_stream():
    world = World(**CAPS)
    event_id = await world.event()
    held = [world.service.streams.open(BUYER.user_id, "10.0.0.9") for _ in range(2)]
    async with client_of(world) as client:
        path = f"/api/booking/event/{event_id}/sse"
        assert_refused(await client.get(path, headers=bearer(BUYER)), 429,
                       "Too many open streams for this user")
        assert (await client.get(path, headers=bearer(OTHER))).status_code == 200
        held[0]()
        assert (await client.get(path, headers=bearer(BUYER))).status_code == 200
    assert world.service.streams.open_streams == 1  # only the one still held


@pytest.mark.parametrize("path", ["/api/event/{event}/sse", "/api/booking/event/{event}/sse"])
async def test_an_address_over_the_cap_gets_429_and_other_addresses_still_stream(path):
    world = World(**CAPS)
    path = path.format(event=await world.event())
    for _ in range(3):
        world.service.streams.open(None, "10.0.0.1")
    async with client_of(world) as crowded, client_of(world, "10.0.0.2") as elsewhere:
        assert_refused(await crowded.get(path, headers=bearer(OTHER)), 429,
                       "Too many open streams from this address")
        assert (await elsewhere.get(path, headers=bearer(OTHER))).status_code == 200


@pytest.mark.parametrize("path", ["/api/event/{event}/sse", "/api/booking/event/{event}/sse"])
async def test_a_full_server_answers_503_with_retry_after(path):
    world = World(**CAPS)
    path = path.format(event=await world.event())
    for n in range(4):
        world.service.streams.open(None, f"10.0.1.{n}")
    async with client_of(world) as client:
        assert_refused(await client.get(path, headers=bearer(OTHER)), 503,
                       "Too many open streams on this server")


async def test_a_stream_frees_its_slot_when_it_ends_fails_or_is_refused():
    world = World(**CAPS)
    event_id = await world.event()
    async with client_of(world) as client:
        for path in (f"/api/event/{event_id}/sse", f"/api/booking/event/{event_id}/sse"):
            assert (await client.get(path, headers=bearer(BUYER))).status_code == 200
        missing = await client.get("/api/booking/event/999/sse", headers=bearer(BUYER))
        assert missing.status_code == 404
        unseen = await client.get(
            f"/api/booking/event/{event_id}/sse?booking_id=00000000-0000-0000-0000-000000000001",
            headers=bearer(BUYER))
        assert unseen.status_code == 404
        world.feed.fail_with = Unavailable("pub/sub unavailable")
        assert (await client.get(f"/api/event/{event_id}/sse")).status_code == 503
    assert world.service.streams.open_streams == 0
