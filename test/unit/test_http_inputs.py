"""The exact input rules over ASGI with fakes, the booking fast path on and off: ranges of
the database's types, no control characters, strict types, one malformed-JSON message, 404
for path parameters that name nothing (spec/security.md, "Input rules")."""

import json

import pytest

from test.unit.test_http_accept import BOOK, bearer
from test.unit.test_ticketing_use_cases import BUYER, LAYOUT, SELLER, World

JSON = {"Content-Type": "application/json"}
BIG = "9" * 5000
MALFORMED = {"detail": "Malformed JSON body"}



def stored(world: World) -> tuple:
    return (dict(world.store.users), dict(world.store.events), dict(world.store.bookings))


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ('"event_id": 0', "event_id: Input should be greater than or equal to 1"),
        ('"event_id": 2147483648', "event_id: Input should be less than or equal to 2147483647"),
        ('"event_id": "1"', "event_id: Input should be a valid integer"),
        ('"event_id": 1.5', "event_id: Input should be a valid integer"),
        ('"quantity": true', "quantity: Input should be a valid integer"),
        ('"quantity": 2147483648', "quantity: Input should be less than or equal to 2147483647"),
        ('"subsection": -2147483649', "subsection: Input should be greater than or equal to"),
        (f'"subsection": {BIG}', "Malformed JSON body"),
        ('"section": "A\\u0000"', "section: must not contain control characters"),
        ('"section": "A\\u001b[2J"', "section: must not contain control characters"),
        ('"seat_selection_mode": "manual", "quantity": 1, "seat_positions": ["' + BIG + '-1"]',
         "Invalid seat position"),
        ('"seat_positions": ["1-1\\u0000"]', "seat_positions.0: must not contain control"),
    ],
)
async def test_booking_fields_outside_the_rules_are_400(world_and_client, raw, detail):
    world, client = world_and_client
    event_id = await world.event()
    body = json.dumps(BOOK | {"event_id": event_id})[:-1] + ", " + raw + "}"
    response = await client.post("/api/booking", content=body, headers=bearer(BUYER) | JSON)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)
    assert world.store.bookings == {} and world.publisher.sent == []


def json_routes() -> list[tuple[str, dict]]:
    return [("/api/user", {}), ("/api/user/login", {}), ("/api/user/password", bearer(BUYER)),
            ("/api/event", bearer(SELLER)), ("/api/booking", bearer(BUYER))]


@pytest.mark.parametrize("body", [b"{", b"", b"[1,", b'{"a": ' + BIG.encode() + b"}",
                                  b'{"a": "\\ud800"}', b"\xff\xfe"])
async def test_every_json_route_has_the_one_malformed_json_message(world_and_client, body):
    world, client = world_and_client
    before = stored(world)
    for path, headers in json_routes():
        response = await client.post(path, content=body, headers=headers | JSON)
        assert (response.status_code, response.json()) == (400, MALFORMED), path
    assert stored(world) == before


def event(**fields) -> dict:
    return {"name": "Show", "description": "", "venue_name": "Hall",
            "seating_config": LAYOUT} | fields


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (event(name="Sh\x00ow"), "name: must not contain control characters"),
        (event(venue_name="Hall\r\n"), "venue_name: must not contain control characters"),
        (event(description="one\x00two"), "description: must not contain control characters"),
        (event(is_active=1), "is_active: Input should be a valid boolean"),
        (event(seating_config={"rows": 1, "cols": 1, "sections": [
            {"name": "A", "price": 2**31, "subsections": 1}]}),
         "Section A: price must be an integer from 0 to 500000000"),
        (event(seating_config={"rows": 2**40, "cols": 1, "sections": []}),
         "seating_config.rows must be an integer from 1 to 500"),
    ],
)
async def test_event_fields_outside_the_rules_are_400(world_and_client, body, detail):
    world, client = world_and_client
    response = await client.post("/api/event", json=body, headers=bearer(SELLER))
    assert (response.status_code, response.json()) == (400, {"detail": detail})
    assert world.store.events == {}


async def test_a_5000_digit_number_anywhere_in_an_event_is_malformed_json(world_and_client):
    world, client = world_and_client
    body = b'{"name": "x", "seating_config": {"rows": %s, "cols": 1, "sections": []}}' % (
        BIG.encode())
    response = await client.post("/api/event", content=body, headers=bearer(SELLER) | JSON)
    assert (response.status_code, response.json()) == (400, MALFORMED)


async def test_a_description_may_span_lines(world_and_client):
    _, client = world_and_client
    response = await client.post("/api/event", json=event(description="one\n\ttwo\r\n"),
                                 headers=bearer(SELLER))
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"name": "Ann\x00"}, "name: must not contain control characters"),
        ({"email": "ann\x00@x.io"}, "email: must not contain control characters"),
        ({"password": "a-long-enough-\x07password"},
         "password: must not contain control characters"),
        ({"role": "admin"}, "role: Input should be 'buyer' or 'seller'"),
        ({"name": 7}, "name: Input should be a valid string"),
    ],
)
async def test_user_fields_outside_the_rules_are_400(world_and_client, fields, detail):
    world, client = world_and_client
    before = stored(world)
    body = {"email": "ann@x.io", "password": "a-long-enough-password", "name": "Ann",
            "role": "buyer"} | fields
    response = await client.post("/api/user", json=body)
    assert (response.status_code, response.json()) == (400, {"detail": detail})
    assert stored(world) == before


@pytest.mark.parametrize("event_id", ["0", "-1", "2147483648", "abc", BIG, "1.0"])
async def test_event_ids_in_paths_that_name_nothing_are_404(world_and_client, event_id):
    world, client = world_and_client
    await world.event()
    for path in (f"/api/event/{event_id}", f"/api/event/{event_id}/sse",
                 f"/api/event/{event_id}/sections/A/subsection/1/seats"):
        response = await client.get(path)
        assert (response.status_code, response.json()) == (404, {"detail": "Event not found"})
    response = await client.get(f"/api/booking/event/{event_id}/sse", headers=bearer(BUYER))
    assert (response.status_code, response.json()) == (404, {"detail": "Event not found"})


async def test_the_booking_stream_of_an_unknown_event_is_404(world_and_client):
    world, client = world_and_client
    await world.event()
    response = await client.get("/api/booking/event/999/sse", headers=bearer(BUYER))
    assert (response.status_code, response.json()) == (404, {"detail": "Event not found"})
    assert (await client.get("/api/booking/event/999/sse")).status_code == 401


@pytest.mark.parametrize("subsection", ["2147483648", BIG, "x"])
async def test_subsections_in_paths_that_name_nothing_are_404(world_and_client, subsection):
    world, client = world_and_client
    event_id = await world.event()
    response = await client.get(f"/api/event/{event_id}/sections/A/subsection/{subsection}/seats")
    assert (response.status_code, response.json()) == (
        404, {"detail": "Section or subsection not found"})


@pytest.mark.parametrize("request_line", [("GET", "/api/booking/nope"),
                                          ("PATCH", "/api/booking/1"),
                                          ("POST", "/api/booking/%00/pay")])
async def test_malformed_booking_ids_in_paths_are_404(world_and_client, request_line):
    _, client = world_and_client
    response = await client.request(*request_line, headers=bearer(BUYER))
    assert (response.status_code, response.json()) == (404, {"detail": "Booking not found"})


@pytest.mark.parametrize("query", ["seller_id=0", "seller_id=2147483648", "seller_id=abc",
                                   "seller_id=1.0", f"seller_id={BIG}"])
async def test_ids_in_queries_outside_the_rules_are_400(world_and_client, query):
    _, client = world_and_client
    response = await client.get(f"/api/event?{query}")
    assert response.status_code == 400 and "seller_id" in response.json()["detail"]


async def test_a_malformed_booking_id_in_the_stream_query_is_400(world_and_client):
    world, client = world_and_client
    event_id = await world.event()
    response = await client.get(f"/api/booking/event/{event_id}/sse?booking_id=nope",
                                headers=bearer(BUYER))
    assert response.status_code == 400 and "booking_id" in response.json()["detail"]


async def test_the_json_bodies_stay_documented(world_and_client):
    _, client = world_and_client
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path, field in (("/api/user", "role"), ("/api/user/login", "password"),
                        ("/api/user/password", "new_password"), ("/api/event", "seating_config")):
        body = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert field in body["properties"], path
