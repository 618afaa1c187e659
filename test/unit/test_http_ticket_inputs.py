"""The input rules on the ticket, door, refund and terms routes (spec/security.md, "Input
rules"; spec/tickets.md, "Endpoints"), over ASGI with fakes: ids of their columns' ranges
(issued tickets are bigint, migration 0004), int32 queries, strict bodies without control
characters, the one malformed-JSON message, 415 and 413; a refused request changes nothing."""

import httpx
import pytest

from src.service.ticketing.entrypoints.hardening import JSON_ROUTES
from src.service.ticketing.entrypoints.http import create_app
from test.unit.test_authorization_matrix import fill, scene, snapshot
from test.unit.test_http_accept import bearer
from test.unit.test_ticketing_use_cases import BUYER, SELLER, World

JSON = {"Content-Type": "application/json"}
BIG = "9" * 5000
MALFORMED = {"detail": "Malformed JSON body"}
# (method, path, a valid body): a body is read before the path's ids are judged
TICKET_ROUTES = [("GET", "/api/ticket/{}", None), ("GET", "/api/ticket/{}/qr.png", None),
                 ("GET", "/api/ticket/{}/qr.svg", None),
                 ("PUT", "/api/ticket/{}/attendee", {"name": "Ann", "email": "ann@x.io"}),
                 ("POST", "/api/ticket/{}/transfer", {"to_email": "user3@x.io"}),
                 ("POST", "/api/ticket/{}/refund", None)]
DOOR_ROUTES = [("PATCH", "/api/event/{}", {}), ("GET", "/api/event/{}/staff", None),
               ("POST", "/api/event/{}/staff", {"email": "user3@x.io"}),
               ("DELETE", "/api/event/{}/staff", {"email": "user6@x.io"}),
               ("POST", "/api/event/{}/check-in", {"code": "x"}),
               ("POST", "/api/event/{}/check-in/batch", []),
               ("GET", "/api/event/{}/check-ins", None)]


@pytest.fixture
async def world_client_params():
    world = World()
    params = await scene(world)
    transport = httpx.ASGITransport(app=create_app(world.service))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield world, client, params


def concrete(path: str, params: dict) -> str:
    """A template of `JSON_ROUTES` with the scene's ids."""
    return path.replace("{event_id}", str(params["event"])).replace(
        "{ticket_id}", str(params["ticket"]))


def caller_of(path: str) -> dict:
    return bearer(SELLER) if path.startswith("/api/event") else bearer(BUYER)


@pytest.mark.parametrize("body", [b"{", b"", b"[1,", b'{"a": ' + BIG.encode() + b"}",
                                  b'{"a": "\\ud800"}', b"\xff\xfe"])
async def test_every_new_json_route_has_the_one_malformed_json_message(world_client_params,
                                                                        body):
    world, client, params = world_client_params
    before = snapshot(world)
    for method, path in sorted(JSON_ROUTES):
        if "{" not in path:
            continue  # the older routes: test_http_inputs.py
        response = await client.request(method, concrete(path, params), content=body,
                                        headers=caller_of(path) | JSON)
        assert (response.status_code, response.json()) == (400, MALFORMED), (method, path)
    assert snapshot(world) == before


async def test_every_new_json_route_needs_json_and_a_small_body(world_client_params):
    world, client, params = world_client_params
    before = snapshot(world)
    for method, path in sorted(JSON_ROUTES):
        url, headers = concrete(path, params), caller_of(path)
        text = await client.request(method, url, content=b"{}",
                                    headers=headers | {"Content-Type": "text/plain"})
        assert (text.status_code, text.json()) == (
            415, {"detail": "Content-Type must be application/json"}), (method, path)
        huge = await client.request(method, url, content=b" " * (64 * 1024 + 1),
                                    headers=headers | JSON)
        assert (huge.status_code, huge.json()) == (
            413, {"detail": "Request body too large"}), (method, path)
    assert snapshot(world) == before


@pytest.mark.parametrize("ticket_id", ["0", "-1", str(2**63), BIG, "1.0", "+1", "x"])
async def test_ticket_ids_that_name_nothing_are_404_on_every_ticket_route(world_client_params,
                                                                           ticket_id):
    world, client, _ = world_client_params
    before = snapshot(world)
    for method, path, body in TICKET_ROUTES:
        response = await client.request(method, path.format(ticket_id), json=body,
                                        headers=bearer(BUYER))
        assert (response.status_code, response.json()) == (
            404, {"detail": "Ticket not found"}), (method, path)
    assert snapshot(world) == before


async def test_the_largest_bigint_ticket_id_is_looked_up(world_client_params):
    _, client, _ = world_client_params
    response = await client.get(f"/api/ticket/{2**63 - 1}", headers=bearer(BUYER))
    assert (response.status_code, response.json()) == (404, {"detail": "Ticket not found"})


@pytest.mark.parametrize("event_id", ["0", "2147483648", BIG, "1.0", "abc"])
async def test_event_ids_that_name_nothing_are_404_on_every_door_route(world_client_params,
                                                                        event_id):
    world, client, _ = world_client_params
    before = snapshot(world)
    for method, path, body in DOOR_ROUTES:
        response = await client.request(method, path.format(event_id), json=body,
                                        headers=bearer(SELLER))
        assert (response.status_code, response.json()) == (
            404, {"detail": "Event not found"}), (method, path)
    assert snapshot(world) == before


@pytest.mark.parametrize("query", ["limit=2147483648", f"limit={BIG}", "limit=1.0",
                                   "offset=-2147483649", "offset=+1", "event_id=0",
                                   "event_id=2147483648", "limit=0", "offset=-1"])
async def test_page_and_filter_queries_outside_the_rules_are_400(world_client_params, query):
    _, client, params = world_client_params
    field = query.split("=")[0]
    for path, who in (("/api/ticket/my", BUYER), (f"/api/event/{params['event']}/check-ins",
                                                   SELLER), ("/api/event", None)):
        if field == "event_id" and path != "/api/ticket/my":
            continue
        response = await client.get(f"{path}?{query}", headers=bearer(who) if who else {})
        assert response.status_code == 400 and field in response.json()["detail"], (path, query)


@pytest.mark.parametrize(("method", "path", "body", "detail"), [
    ("PUT", "/api/ticket/{ticket}/attendee", {"name": "A\x00n", "email": "ann@x.io"},
     "name: must not contain control characters"),
    ("PUT", "/api/ticket/{ticket}/attendee", {"name": "Ann", "email": "ann@x.io\n"},
     "email: must not contain control characters"),
    ("PUT", "/api/ticket/{ticket}/attendee", {"name": 1, "email": "ann@x.io"},
     "name: Input should be a valid string"),
    ("PUT", "/api/ticket/{ticket}/attendee", {"name": "Ann", "email": "ann@"},
     "Attendee email must look like name@example.com"),
    ("POST", "/api/ticket/{ticket}/transfer", {"to_email": "not an address"},
     "Invalid email address"),
    ("POST", "/api/ticket/{ticket}/transfer", {"to_email": ["user3@x.io"]},
     "to_email: Input should be a valid string"),
    ("POST", "/api/event/{event}/staff", {"email": "user3@x.io\x7f"},
     "email: must not contain control characters"),
    ("DELETE", "/api/event/{event}/staff", {"email": "nobody"}, "Invalid email address"),
    ("POST", "/api/event/{event}/check-in", {"code": "{code}", "gate": "N\x1b[31m"},
     "gate: must not contain control characters"),
    ("POST", "/api/event/{event}/check-in", {"code": 12345}, "code: Input should be a valid"),
    ("POST", "/api/event/{event}/check-in/batch",
     [{"code": "{code}", "nonce": "n\x00", "scanned_at": "{now}", "gate": "E"}],
     "nonce: must not contain control characters"),
    ("POST", "/api/event/{event}/check-in/batch", {"code": "{code}"},
     "Input should be a valid array"),
    ("PATCH", "/api/event/{event}", {"refunds_enabled": 1},
     "refunds_enabled: Input should be a valid boolean"),
])
async def test_body_fields_outside_the_rules_are_400_and_change_nothing(
    world_client_params, method, path, body, detail
):
    world, client, params = world_client_params
    who = SELLER if path.startswith("/api/event") else BUYER
    before = snapshot(world)
    response = await client.request(method, path.format(**params), json=fill(body, params),
                                    headers=bearer(who))
    assert response.status_code == 400 and detail in response.json()["detail"], response.text
    assert snapshot(world) == before


async def test_a_valid_attendee_is_stored_lower_case(world_client_params):
    world, client, params = world_client_params
    response = await client.put(f"/api/ticket/{params['ticket']}/attendee",
                                json={"name": " Ann ", "email": "Ann@X.io"},
                                headers=bearer(BUYER))
    assert response.status_code == 200
    assert response.json()["attendee"] == {"name": "Ann", "email": "ann@x.io"}
    assert world.store.issued[params["ticket"]].attendee.email == "ann@x.io"
