"""POST /api/booking over ASGI with fakes: the booking acceptance of spec/booking.md, answered
by the fast path and, with it switched off, by the documented FastAPI route alone."""

import pytest

from src.service.ticketing.domain.user import User
from test.unit.test_ticketing_use_cases import BUYER, SELLER, World

BOOK = {"section": "A", "subsection": 1, "quantity": 2, "seat_selection_mode": "best_available",
        "seat_positions": []}


def bearer(principal) -> dict:
    user = User(principal.user_id, "x@y.z", "x", principal.role)
    return {"Authorization": f"Bearer {World().service.tokens.issue(user)}"}


async def test_a_booking_is_accepted_with_202_and_stored(world_and_client):
    world, client = world_and_client
    event_id = await world.event()
    response = await client.post("/api/booking", json=BOOK | {"event_id": event_id},
                                 headers=bearer(BUYER))
    assert response.status_code == 202
    assert response.json()["status"] == "processing"
    assert list(world.store.bookings) == [world.publisher.sent[0].booking_id]


@pytest.mark.parametrize(
    ("body", "headers", "status", "detail"),
    [
        ({"quantity": 5}, "buyer", 400, "Quantity must be between 1 and 4"),
        ({"seat_selection_mode": "any"}, "buyer", 400, "seat_selection_mode"),
        ({}, None, 401, "Not authenticated"),
        ({}, "seller", 403, "Only buyers can create bookings"),
        ({"subsection": 9}, "buyer", 404, "Section or subsection not found"),
        ({"seat_positions": ["1-1"]}, "buyer", 400,
         "Best available mode requires seat_positions to be empty"),
        ({"seat_selection_mode": "manual", "seat_positions": ["1-1"]}, "buyer", 400,
         "Manual selection requires seat_positions count to match quantity"),
        ({"seat_selection_mode": "manual", "seat_positions": ["1-1", "1-1"]}, "buyer", 400,
         "Duplicate seat positions"),
        ({"seat_selection_mode": "manual", "seat_positions": ["1-1", "9-9"]}, "buyer", 400,
         "outside the seating layout"),
        ({"seat_selection_mode": "manual", "seat_positions": ["1-1", "x"]}, "buyer", 400,
         "expected 'row-seat'"),
        ({"event_id": 999}, "buyer", 404, "Event not found"),
    ],
)
async def test_bad_requests_get_the_contract_errors_and_change_nothing(
    world_and_client, body, headers, status, detail
):
    world, client = world_and_client
    event_id = await world.event()
    who = {"buyer": bearer(BUYER), "seller": bearer(SELLER), None: {}}[headers]
    response = await client.post("/api/booking", json=BOOK | {"event_id": event_id} | body,
                                 headers=who)
    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert world.store.bookings == {} and world.publisher.sent == []


async def test_malformed_json_is_a_400(world_and_client):
    _, client = world_and_client
    response = await client.post("/api/booking", content=b"{not json",
                                 headers=bearer(BUYER) | {"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["detail"] == "Malformed JSON body"


async def test_fail_fast_when_the_subsection_has_too_few_free_seats(world_and_client):
    world, client = world_and_client
    event_id = await world.event()
    world.inventory.available[f"{event_id}:A:1"] = 1
    response = await client.post("/api/booking", json=BOOK | {"event_id": event_id},
                                 headers=bearer(BUYER))
    assert (response.status_code, response.json()) == (
        400, {"detail": "Insufficient seats available"})
    assert world.store.bookings == {}


async def test_taken_manual_seats_are_named_in_the_refusal(world_and_client):
    world, client = world_and_client
    event_id = await world.event()
    world.inventory.taken[f"{event_id}:A:1"] = {1}
    body = BOOK | {"event_id": event_id, "seat_selection_mode": "manual",
                   "seat_positions": ["1-1", "1-2"]}
    response = await client.post("/api/booking", json=body, headers=bearer(BUYER))
    assert (response.status_code, response.json()) == (400, {"detail": "Seats not available: 1-2"})


async def test_the_route_stays_documented(world_and_client):
    _, client = world_and_client
    spec = (await client.get("/openapi.json")).json()
    body = spec["paths"]["/api/booking"]["post"]["requestBody"]
    assert "seat_selection_mode" in body["content"]["application/json"]["schema"]["properties"]
