"""Faults against the real services: a PostgreSQL or Kvrocks that cannot be reached is 503
JSON on every kind of route, and one bad row in a group commit fails only its own request
(spec/architecture.md, "HTTP conventions" and guarantee 1)."""

import asyncio
import dataclasses
import socket

import httpx
import pytest

from src.platform.db import create_pool
from src.platform.kvrocks import create_client
from src.platform.settings import KvrocksSettings
from src.service.contract import SubsectionState
from src.service.ticketing.adapters.kvrocks import (
    RedisPubSubLink,
    RedisSeatInventory,
    RedisStatusNotifier,
)
from src.service.ticketing.adapters.postgres import PostgresUnitOfWork
from src.service.ticketing.adapters.postgres_inbox import PostgresBookingInbox
from src.service.ticketing.adapters.pubsub_hub import StatusHub
from src.service.ticketing.application.ports import Unavailable
from src.service.ticketing.domain.user import Role, User
from src.service.ticketing.entrypoints.http import create_app
from test.integration.factories import insert_event, insert_user
from test.integration.test_ticketing_adapters import SHOW, principals, service

DOWN = {"detail": "Service temporarily unavailable"}
BOOK = {"section": "A", "subsection": 1, "quantity": 1, "seat_selection_mode": "best_available"}


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hub_on(settings: KvrocksSettings) -> StatusHub:
    """The SSE streams' pub/sub hub, as the service builds it, on `settings`' Kvrocks."""
    return StatusHub(lambda: RedisPubSubLink.open(settings))


def client_of(svc) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(svc))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def bearer(svc, user_id: int, role: Role = Role.BUYER) -> dict:
    token = svc.tokens.issue(User(user_id, "x@y.z", "x", role))
    return {"Authorization": f"Bearer {token}"}


async def assert_all_down(svc, buyer_id: int) -> None:
    async with client_of(svc) as client:
        headers = bearer(svc, buyer_id)
        answers = [
            await client.post("/api/booking", json=BOOK | {"event_id": 1}, headers=headers),
            await client.get("/api/event/1"),
            await client.get("/api/booking/my_booking", headers=headers),
            await client.post("/api/user/login", json={"email": "a@b.c", "password": "x"}),
            await client.get("/api/event/1/sse"),
            await client.get("/api/booking/event/1/sse", headers=headers),
        ]
    for response in answers:
        assert (response.status_code, response.json()) == (503, DOWN), response.request.url
        assert response.headers["retry-after"] == "1"


async def test_a_closed_pool_is_503_everywhere(database_settings, redis):
    pool = await create_pool(database_settings.model_copy(update={"pool_min": 1, "pool_max": 1}))
    await pool.close()
    await assert_all_down(service(pool, RedisSeatInventory(redis)), buyer_id=1)


async def test_an_unreachable_database_is_503_everywhere(database_settings, redis):
    url = f"postgresql://nobody:x@127.0.0.1:{unused_port()}/none"
    pool = await create_pool(database_settings.model_copy(
        update={"url": url, "pool_min": 0, "pool_max": 1}))
    try:
        await assert_all_down(service(pool, RedisSeatInventory(redis)), buyer_id=1)
    finally:
        await pool.close()


async def test_the_adapters_raise_unavailable_not_driver_errors(database_settings, pg_pool):
    pool = await create_pool(database_settings.model_copy(update={"pool_min": 1, "pool_max": 1}))
    await pool.close()
    _, buyer = await principals(pg_pool)
    down_settings = KvrocksSettings(url=f"redis://127.0.0.1:{unused_port()}/0")
    down = create_client(down_settings)
    try:
        with pytest.raises(Unavailable):
            async with PostgresUnitOfWork(pool):
                pass
        with pytest.raises(Unavailable):
            await PostgresBookingInbox(pool).find(buyer.user_id, "k")
        with pytest.raises(Unavailable):
            await RedisSeatInventory(down).check("1:A:1", [0])
        with pytest.raises(Unavailable):
            await RedisStatusNotifier(down).subsection_state(
                SubsectionState(event_id=1, section="A", subsection=1, available=1, reserved=0,
                                sold=0))
        with pytest.raises(Unavailable):
            async with hub_on(down_settings).subscribe("x"):
                pass
    finally:
        await down.aclose()


async def test_an_unreachable_kvrocks_is_503_for_booking_and_streams(pg_pool):
    seller, buyer = await principals(pg_pool)
    down_settings = KvrocksSettings(url=f"redis://127.0.0.1:{unused_port()}/0")
    down = create_client(down_settings)
    try:
        svc = dataclasses.replace(service(pg_pool, RedisSeatInventory(down)),
                                  feed=hub_on(down_settings))
        event = await svc.create_event(seller, SHOW)
        async with client_of(svc) as client:
            headers = bearer(svc, buyer.user_id)
            answers = [
                await client.post("/api/booking", json=BOOK | {"event_id": event.id},
                                  headers=headers),
                await client.get(f"/api/event/{event.id}/sse"),
                await client.get(f"/api/booking/event/{event.id}/sse", headers=headers),
            ]
    finally:
        await down.aclose()
    assert [(r.status_code, r.json()) for r in answers] == [(503, DOWN)] * 3


async def test_bookings_of_a_deleted_user_fail_alone_in_a_burst(pg_pool, redis):
    seller, _ = await principals(pg_pool)
    async with pg_pool.acquire() as conn:
        buyers = [await insert_user(conn) for _ in range(20)]
        ghost = await insert_user(conn)
        event_id = await insert_event(conn, seller.user_id, rows=20, cols=20)
    svc = service(pg_pool, RedisSeatInventory(redis))
    await svc.layouts(event_id)
    # The session cache still holds the ghost's account (for its TTL), so its bookings pass
    # authentication and reach the group commit, which must fail them alone.
    await svc.authenticate(bearer(svc, ghost)["Authorization"].removeprefix("Bearer "))
    async with pg_pool.acquire() as conn:
        await conn.execute("DELETE FROM users WHERE id = $1", ghost)
    who = [ghost if i % 3 == 2 else buyers[i % 20] for i in range(300)]
    async with client_of(svc) as client:
        answers = await asyncio.gather(*(
            client.post("/api/booking", json=BOOK | {"event_id": event_id},
                        headers=bearer(svc, user)) for user in who))
    codes = [r.status_code for r in answers]
    assert (codes.count(202), codes.count(401), len(codes)) == (200, 100, 300)
    assert {r.json()["detail"] for r in answers if r.status_code == 401} == {"Not authenticated"}
    async with pg_pool.acquire() as conn:
        stored = await conn.fetchval("SELECT count(*) FROM bookings WHERE event_id = $1",
                                     event_id)
    assert stored == 200


@pytest.mark.parametrize("keyed", [False, True], ids=["no_key", "with_key"])
async def test_bookings_on_a_deleted_event_are_404_and_others_still_commit(pg_pool, redis, keyed):
    seller, buyer = await principals(pg_pool)
    async with pg_pool.acquire() as conn:
        gone = await insert_event(conn, seller.user_id, rows=5, cols=5)
        kept = await insert_event(conn, seller.user_id, rows=5, cols=5)
    svc = service(pg_pool, RedisSeatInventory(redis))
    await svc.layouts(gone), await svc.layouts(kept)  # cached before the event goes
    async with pg_pool.acquire() as conn:
        await conn.execute("DELETE FROM events WHERE id = $1", gone)
    headers = bearer(svc, buyer.user_id)
    async with client_of(svc) as client:
        answers = await asyncio.gather(*(
            client.post("/api/booking", json=BOOK | {"event_id": e},
                        headers=headers | ({"Idempotency-Key": f"k{i}"} if keyed else {}))
            for i, e in enumerate([gone, kept] * 5)))
    assert [r.status_code for r in answers] == [404, 202] * 5
    assert answers[0].json() == {"detail": "Event not found"}
