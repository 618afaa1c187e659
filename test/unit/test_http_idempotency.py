"""Idempotency-Key over ASGI with fakes: POST /api/booking by the fast path and by the route,
pay and cancel by their routes (spec/architecture.md, guarantee 9)."""

import pytest

from src.service.lifecycle import BookingStatus
from test.unit.test_http_accept import BOOK, bearer
from test.unit.test_ticketing_use_cases import BUYER, OTHER

REUSED = {"detail": "Idempotency-Key was used for another request"}


def keyed(principal, key) -> dict:
    return bearer(principal) | {"Idempotency-Key": key}


async def test_a_retried_post_answers_the_same_booking_marked_replayed(world_and_client):
    world, client = world_and_client
    body = BOOK | {"event_id": await world.event()}
    first = await client.post("/api/booking", json=body, headers=keyed(BUYER, "k-1"))
    again = await client.post("/api/booking", json=body, headers=keyed(BUYER, "k-1"))
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert len(world.store.bookings) == 1 and len(world.publisher.sent) == 1
    other = await client.post("/api/booking", json=body, headers=keyed(OTHER, "k-1"))
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]


@pytest.mark.parametrize("key", ["", "x" * 256, b"caf\xe9", b"bell\x07"])
async def test_an_invalid_key_is_a_400_and_stores_nothing(world_and_client, key):
    world, client = world_and_client
    body = BOOK | {"event_id": await world.event()}
    response = await client.post("/api/booking", json=body, headers=keyed(BUYER, key))
    assert (response.status_code, response.json()) == (400, {"detail": "Invalid Idempotency-Key"})
    assert world.store.bookings == {}


async def test_a_key_reused_for_another_booking_request_is_a_409(world_and_client):
    world, client = world_and_client
    body = BOOK | {"event_id": await world.event()}
    await client.post("/api/booking", json=body, headers=keyed(BUYER, "k-1"))
    response = await client.post("/api/booking", json=body | {"quantity": 1},
                                 headers=keyed(BUYER, "k-1"))
    assert (response.status_code, response.json()) == (409, REUSED)


async def test_a_retried_pay_and_cancel_answer_200_with_the_booking(world_and_client):
    world, client = world_and_client
    event_id = await world.event()
    paid, cancelled = await world.book(event_id), await world.book(event_id)
    world.settle(paid.id, BookingStatus.PENDING_PAYMENT)
    for _ in range(2):
        pay = await client.post(f"/api/booking/{paid.id}/pay", headers=keyed(BUYER, "p"))
        cancel = await client.patch(f"/api/booking/{cancelled.id}", headers=keyed(BUYER, "c"))
        assert (pay.status_code, pay.json()["status"]) == (200, "completed")
        assert (cancel.status_code, cancel.json()["status"]) == (200, "cancelled")
    assert pay.headers["idempotent-replayed"] == cancel.headers["idempotent-replayed"] == "true"
    response = await client.patch(f"/api/booking/{paid.id}", headers=keyed(BUYER, "p"))
    assert (response.status_code, response.json()) == (409, REUSED)
    response = await client.post(f"/api/booking/{paid.id}/pay", headers=keyed(BUYER, "\x01"))
    assert (response.status_code, response.json()) == (400, {"detail": "Invalid Idempotency-Key"})


async def test_the_header_is_documented_on_the_three_routes(world_and_client):
    _, client = world_and_client
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path, method in [("/api/booking", "post"), ("/api/booking/{booking_id}/pay", "post"),
                         ("/api/booking/{booking_id}", "patch")]:
        [header] = [p for p in paths[path][method]["parameters"] if p["in"] == "header"]
        assert header["name"] == "Idempotency-Key" and not header["required"]
        assert "Idempotent-Replayed" in header["description"]
