"""A backing service down is 503 JSON with Retry-After, a bug is 500 JSON with a request id,
on every route, the booking fast path and the SSE routes' setup; neither shows the client an
exception (spec/architecture.md, "HTTP conventions")."""

import logging
import uuid

import asyncpg
import httpx
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from src.service.ticketing.application.ports import Unavailable
from test.unit.test_http_accept import BOOK, bearer
from test.unit.test_ticketing_use_cases import BUYER

DOWN = {"detail": "Service temporarily unavailable"}


async def post_booking(world, client):
    return await client.post("/api/booking", json=BOOK | {"event_id": 1}, headers=bearer(BUYER))


def assert_down(response: httpx.Response) -> None:
    assert (response.status_code, response.json()) == (503, DOWN)
    assert int(response.headers["retry-after"]) >= 1


@pytest.mark.parametrize("error", [
    Unavailable("database unavailable"),
    # Raw driver errors an adapter failed to translate are still "backing service down".
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.TooManyConnectionsError("too many clients"), asyncpg.InterfaceError("pool closed"),
    ConnectionRefusedError(111, "refused"), TimeoutError(), RedisConnectionError("gone"),
], ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("where", ["uow", "inbox", "inventory"])
async def test_a_booking_post_with_a_service_down_is_a_503(world_and_client, where, error):
    world, client = world_and_client
    await world.event()
    {"uow": world.store, "inbox": world.inbox, "inventory": world.inventory}[where].fail_with = (
        error)
    if where != "uow":
        await world.service.layouts(1)  # cached: only the named port fails
    assert_down(await post_booking(world, client))


@pytest.mark.parametrize("path", [
    "/api/booking/my_booking", f"/api/booking/{uuid.UUID(int=1)}", "/api/event/1",
    "/api/event/1/sse", "/api/booking/event/1/sse", "/api/user",
])
async def test_every_route_answers_503_when_postgresql_is_down(world_and_client, path):
    world, client = world_and_client
    await world.event()
    world.store.fail_with = Unavailable("database unavailable")
    assert_down(await client.get(path, headers=bearer(BUYER)))


@pytest.mark.parametrize("path", ["/api/event/1/sse", "/api/booking/event/1/sse"])
async def test_the_sse_routes_answer_503_when_pubsub_is_down(world_and_client, path):
    world, client = world_and_client
    await world.event()
    world.feed.fail_with = Unavailable("pub/sub unavailable")
    assert_down(await client.get(path, headers=bearer(BUYER)))


async def test_pay_and_cancel_answer_503_when_postgresql_is_down(world_and_client):
    world, client = world_and_client
    booking = await world.book(await world.event())
    world.store.fail_with = asyncpg.ConnectionDoesNotExistError("connection was closed")
    assert_down(await client.post(f"/api/booking/{booking.id}/pay", headers=bearer(BUYER)))
    assert_down(await client.patch(f"/api/booking/{booking.id}", headers=bearer(BUYER)))


async def assert_crash_answered(response: httpx.Response, caplog) -> None:
    body = response.json()
    assert response.status_code == 500
    assert body == {"detail": "Internal server error", "request_id": body["request_id"]}
    assert response.headers["x-request-id"] == body["request_id"]
    assert response.headers["x-content-type-options"] == "nosniff"  # inside the hardening
    assert "secret internals" not in response.text and "RuntimeError" not in response.text
    [record] = [r for r in caplog.records if body["request_id"] in r.getMessage()]
    assert record.exc_info and "secret internals" in str(record.exc_info[1])


async def test_a_bug_on_the_booking_post_is_a_500_with_a_request_id(world_and_client, caplog):
    world, client = world_and_client
    await world.event()
    await world.service.layouts(1)
    world.inventory.fail_with = RuntimeError("secret internals")
    with caplog.at_level(logging.ERROR):
        await assert_crash_answered(await post_booking(world, client), caplog)


@pytest.mark.parametrize("path", ["/api/event/1", "/api/booking/my_booking"])
async def test_a_bug_on_any_route_is_a_500_with_a_request_id(world_and_client, caplog, path):
    world, client = world_and_client
    await world.event()
    world.store.fail_with = RuntimeError("secret internals")
    with caplog.at_level(logging.ERROR):
        await assert_crash_answered(await client.get(path, headers=bearer(BUYER)), caplog)
