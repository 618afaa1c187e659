"""The OpenAPI document as the API really answers (spec/security.md, "OpenAPI"): every route's
error statuses with the `{"detail": str}` body of `entrypoints/errors.py`, no 422 (request
validation is a 400 here), the SSE routes as `text/event-stream` with the schema of each event
they send, and the bearer and cookie security schemes on the routes that need a session.
"""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict

from src.service.contract import AttendanceUpdate, BookingStatusUpdate, SubsectionState
from src.service.ticketing.entrypoints.schemas import EventOut
from src.service.ticketing.settings import TicketingSettings


class ErrorOut(BaseModel):
    """Every error's body."""

    detail: str


DESCRIPTIONS = {
    400: "Bad input: a broken booking rule or request-validation error, or `Malformed JSON body`",
    401: "No valid session: missing, bad, expired or revoked token",
    403: "The caller may not do this",
    404: "Nothing by that id that the caller may see",
    408: "`Request body not received in time` (`TICKETING_BODY_TIMEOUT_S`); the connection "
         "is closed",
    409: "`Idempotency-Key was used for another request`",
    413: "`Request body too large` (over 64 KiB)",
    415: "`Content-Type must be application/json`",
    429: "Over an abuse limit or a stream cap; see `Retry-After`",
    503: "A backing service is down, or the server holds all the streams it may; "
         "see `Retry-After`",
}
_JSON_BODY = (400, 408, 413, 415)
# The error statuses each route answers; those with 401 (but logging in) need a session.
ROUTE_ERRORS: dict[tuple[str, str], tuple[int, ...]] = {
    ("post", "/api/user"): (*_JSON_BODY, 403, 429, 503),
    ("post", "/api/user/login"): (*_JSON_BODY, 401, 429, 503),
    ("get", "/api/user"): (401, 503),
    ("post", "/api/user/logout"): (401, 503),
    ("post", "/api/user/password"): (*_JSON_BODY, 401, 403, 429, 503),
    ("post", "/api/event"): (*_JSON_BODY, 401, 403, 503),
    ("get", "/api/event"): (400, 503),
    ("get", "/api/event/{event_id}"): (404, 503),
    ("get", "/api/event/{event_id}/sections/{section}/subsection/{subsection}/seats"):
        (404, 503),
    ("get", "/api/event/{event_id}/sse"): (404, 429, 503),
    ("post", "/api/booking"): (*_JSON_BODY, 401, 403, 404, 409, 429, 503),
    ("get", "/api/booking/my_booking"): (400, 401, 503),
    ("get", "/api/booking/{booking_id}"): (401, 404, 503),
    ("patch", "/api/booking/{booking_id}"): (400, 401, 403, 404, 409, 503),
    ("post", "/api/booking/{booking_id}/pay"): (400, 401, 403, 404, 409, 503),
    ("get", "/api/booking/event/{event_id}/sse"): (400, 401, 404, 429, 503),
    # spec/tickets.md, "Endpoints"
    ("patch", "/api/event/{event_id}"): (*_JSON_BODY, 401, 403, 404, 503),
    ("post", "/api/event/{event_id}/status"): (*_JSON_BODY, 401, 403, 404, 503),
    ("post", "/api/event/{event_id}/cancel"): (400, 401, 403, 404, 503),
    ("get", "/api/ticket/my"): (400, 401, 503),
    ("get", "/api/ticket/{ticket_id}"): (401, 404, 503),
    ("get", "/api/ticket/{ticket_id}/qr.png"): (400, 401, 403, 404, 503),
    ("get", "/api/ticket/{ticket_id}/qr.svg"): (400, 401, 403, 404, 503),
    ("put", "/api/ticket/{ticket_id}/attendee"): (*_JSON_BODY, 401, 403, 404, 503),
    ("post", "/api/ticket/{ticket_id}/transfer"): (*_JSON_BODY, 401, 403, 404, 503),
    ("post", "/api/ticket/{ticket_id}/refund"): (400, 401, 403, 404, 503),
    ("post", "/api/booking/{booking_id}/refund"): (400, 401, 403, 404, 503),
    ("get", "/api/event/{event_id}/staff"): (401, 403, 404, 503),
    ("post", "/api/event/{event_id}/staff"): (*_JSON_BODY, 401, 403, 404, 503),
    ("delete", "/api/event/{event_id}/staff"): (*_JSON_BODY, 401, 403, 404, 503),
    ("post", "/api/event/{event_id}/check-in"): (*_JSON_BODY, 401, 403, 404, 409, 503),
    ("post", "/api/event/{event_id}/check-in/batch"): (*_JSON_BODY, 401, 403, 404, 503),
    ("get", "/api/event/{event_id}/check-ins"): (400, 401, 403, 404, 503),
    ("get", "/health"): (),
}
# Where a route's answer says more than the status's general description.
ROUTE_DETAILS: dict[tuple[str, str], dict[int, str]] = {
    ("post", "/api/booking/{booking_id}/pay"): {
        400: DESCRIPTIONS[400] + "; the status refuses payment (spec/booking.md, rule 5), e.g. "
             "`Booking has expired` once its payment deadline passed (rule 6)"},
    ("patch", "/api/booking/{booking_id}"): {
        400: DESCRIPTIONS[400] + "; the status refuses cancelling (spec/booking.md, rule 5), "
             "e.g. `Cannot cancel an expired booking` once its payment deadline passed"},
}
_LOGIN = ("post", "/api/user/login")  # a 401 there is a wrong password, not a missing session
class StreamClosed(BaseModel):
    """The booking stream's last event, `close`: `{}`."""

    model_config = ConfigDict(extra="forbid")


# Each stream's events: name → the JSON its `data` carries (entrypoints/sse.py).
SSE_EVENTS: dict[str, dict[str, type[BaseModel]]] = {
    "/api/event/{event_id}/sse": {"initial_status": EventOut, "status_update": SubsectionState,
                                  "attendance": AttendanceUpdate},
    "/api/booking/event/{event_id}/sse": {"status_update": BookingStatusUpdate,
                                          "close": StreamClosed},
}
_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "cookie": {"type": "apiKey", "in": "cookie",
               "name": TicketingSettings.model_fields["cookie_name"].default},
}


def exact_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """`app.openapi`: FastAPI's document with the answers above; raises `KeyError` for a route
    missing from `ROUTE_ERRORS`, so a new route cannot go undocumented."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, routes=app.routes)
            _refine(document)
            app.openapi_schema = document
        return app.openapi_schema

    return openapi


def _refine(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["ErrorOut"] = ErrorOut.model_json_schema()
    document["components"]["securitySchemes"] = _SCHEMES
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            responses.pop("422", None)
            for status in ROUTE_ERRORS[(method, path)]:
                described = ROUTE_DETAILS.get((method, path), {}).get(status, DESCRIPTIONS[status])
                responses[str(status)] = {"description": described, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
            if 401 in ROUTE_ERRORS[(method, path)] and (method, path) != _LOGIN:
                operation["security"] = [{"bearer": []}, {"cookie": []}]
            if path in SSE_EVENTS:
                responses["200"] = _stream(SSE_EVENTS[path], schemas)


def _stream(events: dict[str, type[BaseModel]], schemas: dict[str, Any]) -> dict[str, Any]:
    """The 200 answer of an SSE route. Before OpenAPI 3.2's `itemSchema`, a `text/event-stream`
    schema describes one event: here one of `events`, `{"event": name, "data": JSON text}`
    with the data's schema (a component, added to `schemas`) as its `contentSchema`."""
    kinds = []
    for name, model in events.items():
        kinds.append({"type": "object", "required": ["event", "data"], "properties": {
            "event": {"const": name},
            "data": {"type": "string", "contentMediaType": "application/json",
                     "contentSchema": _component(model, schemas)}}})
    first = next(iter(events))
    return {"description": "Server-Sent Events: " + ", ".join(f"`{n}`" for n in events),
            "content": {"text/event-stream": {
                "schema": {"oneOf": kinds},
                "example": f"event: {first}\ndata: {{...}}\n\n"}}}


def _component(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    """A reference to `model`'s schema under `components/schemas`, adding it (and the models
    it uses) unless FastAPI already did."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, nested in schema.pop("$defs", {}).items():
        schemas.setdefault(name, nested)
    schemas.setdefault(model.__name__, schema)
    return {"$ref": f"#/components/schemas/{model.__name__}"}
