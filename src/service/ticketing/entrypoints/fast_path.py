"""The flash-sale hot path: POST /api/booking without the web framework's layers.

In a sale this one request is nearly all the traffic, and routing, dependency injection and
generic body/response handling cost more CPU than the booking itself. `BookingFastPath` is a
pure ASGI middleware that answers it directly; the FastAPI route (kept for the OpenAPI docs and
for any app served without the middleware) calls the same `accept_booking`, so there is one
implementation of the endpoint.
"""

import json

from pydantic import ValidationError
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from src.service.ticketing.application.bookings import BookingRequest
from src.service.ticketing.bootstrap import Ticketing
from src.service.ticketing.domain.booking import SeatSelectionMode
from src.service.ticketing.entrypoints.deps import authenticate
from src.service.ticketing.entrypoints.errors import HANDLED, error_response
from src.service.ticketing.entrypoints.schemas import BookingCreate, BookingOut, describe_errors

ACCEPTED = 202


async def accept_booking(
    service: Ticketing, cookie: str | None, authorization: str, raw: bytes
) -> tuple[int, bytes]:
    """Authenticate, validate and accept one booking request; returns (status, JSON body):
    202 with the booking, or the error table's status with `{"detail": …}`."""
    try:
        caller = authenticate(service, cookie, authorization)
        body = BookingCreate.model_validate_json(raw)
        booking = await service.bookings.create(caller, BookingRequest(
            event_id=body.event_id, section=body.section, subsection=body.subsection,
            quantity=body.quantity,
            seat_selection_mode=SeatSelectionMode(body.seat_selection_mode),
            seat_positions=body.seat_positions,
        ))
    except ValidationError as e:
        return 400, json.dumps({"detail": describe_errors(e.errors())}).encode()
    except HANDLED as e:
        status, detail = error_response(e)
        return status, json.dumps(detail).encode()
    return ACCEPTED, BookingOut.of(booking).model_dump_json().encode()


class BookingFastPath:
    """ASGI middleware serving `POST /api/booking`; every other request passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (scope["type"] == "http" and scope["method"] == "POST"
                and scope["path"] in ("/api/booking", "/api/booking/")):
            await self.app(scope, receive, send)
            return
        service: Ticketing = scope["app"].state.ticketing
        headers = dict(scope["headers"])
        cookies = cookie_parser(headers.get(b"cookie", b"").decode("latin-1"))
        status, body = await accept_booking(
            service, cookies.get(service.settings.cookie_name),
            headers.get(b"authorization", b"").decode("latin-1"), await _body(receive),
        )
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]})
        await send({"type": "http.response.body", "body": body})


async def _body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)
