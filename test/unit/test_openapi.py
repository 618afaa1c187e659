"""The OpenAPI document against what the API answers (spec/security.md, "OpenAPI"): the
statuses the authorization matrix, the fault tests and the hardening tests see are all
documented, with the one error body; no 422; SSE as `text/event-stream`; security schemes;
every request body's example is accepted as it stands."""

import json
import re

import httpx
import pytest

from src.service.ticketing.entrypoints.hardening import JSON_ROUTES
from src.service.ticketing.entrypoints.http import create_app
from test.unit.test_authorization_matrix import MATRIX, PRINCIPALS
from test.unit.test_http_accept import bearer
from test.unit.test_ticketing_use_cases import BUYER, SELLER, World

ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}


def client_of(world: World) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(world.service))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def bearer_of(login: httpx.Response) -> dict:
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


@pytest.fixture(scope="module")
def document() -> dict:
    return create_app(World().service).openapi()


def operation(document: dict, method: str, path: str) -> dict:
    """The operation of a concrete request path as the matrix writes it."""
    template = re.sub(r"\?.*", "", path).replace("{event}", "{event_id}")
    template = template.replace("{booking}", "{booking_id}").replace("{paid}", "{booking_id}")
    template = template.replace("{ticket}", "{ticket_id}")
    template = template.replace("/sections/A/subsection/1/", "/sections/{section}/subsection/"
                                "{subsection}/")
    return document["paths"][template][method.lower()]


@pytest.mark.parametrize("route", MATRIX)
def test_every_status_of_the_authorization_matrix_is_documented(document, route):
    method, path, _, statuses = MATRIX[route]
    documented = operation(document, method, path)["responses"]
    assert {str(s) for s in statuses} <= set(documented)
    anonymous = statuses[PRINCIPALS.index("anonymous")]
    assert ("security" in operation(document, method, path)) == (anonymous == 401)


def test_every_api_route_documents_503_and_json_routes_408_413_and_415(document):
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            if path.startswith("/api/"):
                assert "503" in op["responses"], (method, path)
            if (method.upper(), path) in JSON_ROUTES:
                assert {"400", "408", "413", "415"} <= set(op["responses"]), (method, path)


def test_errors_are_documented_with_the_one_body_and_never_as_422(document):
    assert document["components"]["schemas"]["ErrorOut"]["properties"] == {
        "detail": {"title": "Detail", "type": "string"}}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for operations in document["paths"].values():
        for op in operations.values():
            assert "422" not in op["responses"]
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    assert response["content"] == ERROR_BODY


def test_the_streams_are_documented_as_server_sent_events(document):
    for path, names in (("/api/event/{event_id}/sse",
                         ("initial_status", "status_update", "attendance")),
                        ("/api/booking/event/{event_id}/sse", ("status_update", "close"))):
        ok = document["paths"][path]["get"]["responses"]["200"]
        assert list(ok["content"]) == ["text/event-stream"]
        assert all(f"`{name}`" in ok["description"] for name in names)


def test_bearer_and_cookie_are_the_security_schemes(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["cookie"] == {"type": "apiKey", "in": "cookie", "name": "fastapiusersauth"}


def test_every_json_body_is_documented_with_its_schema(document):
    for method, path in JSON_ROUTES:
        body = document["paths"][path][method.lower()]["requestBody"]
        assert body["content"]["application/json"]["schema"]


def test_no_reference_points_outside_the_document(document):
    """Nested body models (refund tiers, offline scans) are inlined: a `#/$defs/…` reference
    names nothing in an OpenAPI document, and ReDoc stops rendering on it."""
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(document))
    schemas = document["components"]["schemas"]
    assert refs and all(r.startswith("#/components/schemas/") for r in refs)
    assert all(r.removeprefix("#/components/schemas/") in schemas for r in refs)


def example(document: dict, method: str, path: str) -> dict:
    """The one example of the operation's JSON body."""
    [body] = operation(document, method, path)["requestBody"]["content"]["application/json"][
        "schema"]["examples"]
    return body


async def test_the_documented_examples_are_accepted_as_they_stand(document):
    world = World()
    async with client_of(world) as client:
        answers = [
            await client.post("/api/user", json=example(document, "POST", "/api/user")),
            login := await client.post("/api/user/login",
                                       json=example(document, "POST", "/api/user/login")),
            await client.post("/api/user/password", headers=bearer_of(login),
                              json=example(document, "POST", "/api/user/password")),
            await client.post("/api/event", headers=bearer(SELLER),
                              json=example(document, "POST", "/api/event")),
            await client.post("/api/booking", headers=bearer(BUYER),
                              json=example(document, "POST", "/api/booking")),
        ]
    assert [a.status_code for a in answers] == [201, 200, 200, 201, 202]
    event = document["paths"]["/api/event"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["properties"]["seating_config"]
    assert event["required"] == ["rows", "cols", "sections"]
