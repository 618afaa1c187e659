"""What the schemathesis run of the e2e tier found (spec/security.md, "Schemathesis"), held in
the unit tier over ASGI with fakes: 405s name every method of the path, a fixed path is not a
value of the template beside it, integers may be written `2.0`, times are RFC 3339, and the
document states the rules the parsers check, no more and no fewer."""

import re

import pytest

from src.service.ticketing.entrypoints import inputs
from src.service.ticketing.entrypoints.http import create_app
from test.unit.test_http_accept import BOOK, bearer
from test.unit.test_ticketing_use_cases import BUYER, LAYOUT, SELLER, World

EVENT = {"name": "Show", "seating_config": LAYOUT}


@pytest.fixture(scope="module")
def document() -> dict:
    return create_app(World().service).openapi()


def stored(world: World) -> tuple:
    return (dict(world.store.events), dict(world.store.bookings), dict(world.store.users))


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("OPTIONS", "/api/event", "GET, POST"),
    ("DELETE", "/api/event/1", "GET, PATCH"),
    ("PUT", "/api/event/1/staff", "DELETE, GET, POST"),
    ("GET", "/api/booking", "POST"),
    ("DELETE", "/api/booking/0190a0a0-0000-7000-8000-000000000001", "GET, PATCH"),
])
async def test_a_405_names_every_method_of_its_path(world_and_client, method, path, allow):
    world, client = world_and_client
    before = stored(world)
    response = await client.request(method, path, headers=bearer(SELLER))
    assert (response.status_code, response.json()) == (405, {"detail": "Method Not Allowed"})
    assert response.headers["allow"] == allow
    assert response.headers["x-frame-options"] == "DENY"  # still behind the hardening
    assert stored(world) == before


async def test_a_fixed_path_is_not_a_value_of_the_template_beside_it(world_and_client):
    """`PATCH /api/booking/my_booking` was the cancel route with the id `my_booking` (404)."""
    world, client = world_and_client
    for method in ("PATCH", "DELETE", "POST"):
        response = await client.request(method, "/api/booking/my_booking", headers=bearer(BUYER))
        assert (response.status_code, response.headers["allow"]) == (405, "GET"), method
    listed = await client.get("/api/booking/my_booking", headers=bearer(BUYER))
    assert listed.status_code == 200


async def test_an_integer_may_be_written_with_a_zero_fraction(world_and_client):
    """JSON Schema's `integer` (the document's type) includes `2.0`; `2.5` is still refused."""
    world, client = world_and_client
    event_id = await world.event()
    booked = await client.post("/api/booking", headers=bearer(BUYER),
                               json=BOOK | {"event_id": float(event_id), "quantity": 2.0})
    assert booked.status_code == 202, booked.text
    assert (booked.json()["event_id"], booked.json()["quantity"]) == (event_id, 2)
    half = await client.post("/api/booking", headers=bearer(BUYER),
                             json=BOOK | {"event_id": event_id, "quantity": 2.5})
    assert (half.status_code, half.json()) == (
        400, {"detail": "quantity: Input should be a valid integer"})
    assert len(world.store.bookings) == 1


async def test_a_layout_and_refund_tiers_may_write_integers_with_a_zero_fraction(
        world_and_client):
    world, client = world_and_client
    layout = {"rows": 2.0, "cols": 3.0, "sections": [{"name": "A", "price": 100.0,
                                                       "subsections": 1.0}]}
    tiers = [{"days_before": 7.0, "percent": 100.0}]
    created = await client.post("/api/event", headers=bearer(SELLER),
                                json=EVENT | {"seating_config": layout, "refund_policy": tiers})
    assert created.status_code == 201, created.text
    assert created.json()["seating_config"] == {
        "rows": 2, "cols": 3, "sections": [{"name": "A", "price": 100, "subsections": 1}]}
    assert created.json()["refund_policy"] == [{"days_before": 7, "percent": 100}]
    refused = await client.post("/api/event", headers=bearer(SELLER),
                                json=EVENT | {"seating_config": layout | {"rows": 2.5}})
    assert (refused.status_code, refused.json()) == (
        400, {"detail": "seating_config.rows must be an integer from 1 to 500"})
    assert len(world.store.events) == 1


async def test_a_section_name_ends_where_its_pattern_does(world_and_client):
    """`^…$` let "A\\n" through in Python; the document's pattern (ECMA-262) refuses it."""
    world, client = world_and_client
    layout = LAYOUT | {"sections": [{"name": "A\n", "price": 1, "subsections": 1}]}
    response = await client.post("/api/event", headers=bearer(SELLER),
                                 json=EVENT | {"seating_config": layout})
    assert (response.status_code, response.json()) == (
        400, {"detail": "Section name must be 1-20 letters, digits, '-' or '_'"})
    assert world.store.events == {}


@pytest.mark.parametrize("value", ["0.5", "1", "2026-06-01", "2026-06-01T20:00Z"])
async def test_a_time_in_a_query_is_an_rfc_3339_date_time(world_and_client, value):
    """`starts_until=0.5` was read as a Unix time and answered 200."""
    _, client = world_and_client
    response = await client.get("/api/event", params={"starts_until": value})
    assert (response.status_code, response.json()) == (400, {
        "detail": "query.starts_until: Input should be an RFC 3339 date-time with its offset"})


@pytest.mark.parametrize("value", [1, 1.5, "0.5", "2026-06-01T20:00Z"])
async def test_a_time_in_a_body_is_an_rfc_3339_date_time(world_and_client, value):
    world, client = world_and_client
    event_id = await world.event()
    before = stored(world)
    response = await client.patch(f"/api/event/{event_id}", headers=bearer(SELLER),
                                  json={"starts_at": value})
    assert (response.status_code, response.json()) == (400, {
        "detail": "starts_at: Input should be an RFC 3339 date-time with its offset"})
    assert stored(world) == before


async def test_the_refusals_the_run_met_are_documented(world_and_client, document):
    """`booking_status` outside its enum is 400, a wrong current password 403: both were
    answered but missing from `ROUTE_ERRORS`."""
    _, client = world_and_client
    listed = await client.get("/api/booking/my_booking", params={"booking_status": "x"},
                              headers=bearer(BUYER))
    changed = await client.post("/api/user/password", headers=bearer(BUYER),
                                json={"current_password": "wrong-one-here",
                                      "new_password": "quiet-violet-harbour"})
    assert (listed.status_code, changed.status_code) == (400, 403)
    paths = document["paths"]
    assert "400" in paths["/api/booking/my_booking"]["get"]["responses"]
    assert "403" in paths["/api/user/password"]["post"]["responses"]


def body_schema(document: dict, method: str, path: str) -> dict:
    return document["paths"][path][method]["requestBody"]["content"]["application/json"][
        "schema"]


def parameter(document: dict, method: str, path: str, name: str) -> dict:
    [found] = [p for p in document["paths"][path][method]["parameters"] if p["name"] == name]
    return found["schema"].get("anyOf", [found["schema"]])[0]


def test_the_document_states_the_rules_the_parsers_check(document):
    booking = body_schema(document, "post", "/api/booking")["properties"]
    assert (booking["quantity"]["minimum"], booking["quantity"]["maximum"]) == (1, 4)
    assert booking["seat_positions"]["items"]["pattern"] == "^[0-9]{1,6}-[0-9]{1,6}$"
    assert booking["section"]["pattern"] == inputs.NO_CONTROL
    password = body_schema(document, "post", "/api/user")["properties"]["password"]
    assert (password["minLength"], password["maxLength"]) == (8, 128)
    created_as = body_schema(document, "post", "/api/event")["properties"]["status"]["anyOf"][0]
    assert created_as["enum"] == ["draft", "on_sale"]
    moved_to = body_schema(document, "post", "/api/event/{event_id}/status")["properties"]
    assert moved_to["status"]["enum"] == ["closed", "draft", "ended", "on_sale"]
    scan = body_schema(document, "post", "/api/event/{event_id}/check-in")["properties"]
    assert (scan["code"]["minLength"], scan["code"]["maxLength"]) == (1, 100)
    assert body_schema(document, "post", "/api/event/{event_id}/check-in/batch")[
        "minItems"] == 1
    seller = parameter(document, "get", "/api/event", "seller_id")
    assert (seller["minimum"], seller["maximum"]) == (1, 2**31 - 1)
    limit = parameter(document, "get", "/api/ticket/my", "limit")
    offset = parameter(document, "get", "/api/ticket/my", "offset")
    assert (limit["minimum"], limit["maximum"], offset["minimum"]) == (1, 100, 0)
    ticket = parameter(document, "get", "/api/ticket/{ticket_id}", "ticket_id")
    assert (ticket["minimum"], ticket["maximum"]) == (1, 2**63 - 1)
    key = parameter(document, "patch", "/api/booking/{booking_id}", "Idempotency-Key")
    assert (key["minLength"], key["maxLength"], key["pattern"]) == (
        1, 255, "^[!-~]([ -~]*[!-~])?$")


def _accepted(check, text: str) -> bool:
    try:
        check(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(("pattern", "check"), [
    (inputs.NO_CONTROL, inputs._no_control),
    (inputs.NO_CONTROL_BUT_LINES, inputs._no_control_but_lines),
])
def test_the_text_patterns_admit_exactly_what_the_validators_do(pattern, check):
    """Over the first 512 code points, alone and inside other text; `fullmatch` because the
    document's `$` (ECMA-262) does not match before a final line break as Python's does."""
    compiled = re.compile(pattern.removeprefix("^").removesuffix("$"))
    for point in range(512):
        for text in (chr(point), f"a{chr(point)}b"):
            assert bool(compiled.fullmatch(text)) == _accepted(check, text), hex(point)
