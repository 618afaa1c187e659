"""The flash-sale hot path: `POST /api/booking` answered without the framework's layers.

In a sale this one request is nearly all the traffic, and routing, dependency injection and
generic body/response handling cost more CPU than the booking itself. `BookingFastPath` is a
thin ASGI adapter over the same use case, request parser, credentials helper and error table
as the documented route in `api_bookings.py`; switched off (`create_app(fast_path=False)`),
the route serves the same contract.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from src.service.ticketing.bootstrap import Ticketing
from src.service.ticketing.entrypoints.api_bookings import ACCEPTED, booking_request
from src.service.ticketing.entrypoints.credentials import authenticate
from src.service.ticketing.entrypoints.errors import HANDLED, error_body, error_headers
from src.service.ticketing.entrypoints.schemas import BookingOut

PATHS = ("/api/booking", "/api/booking/")


class BookingFastPath:
    """ASGI middleware serving `POST /api/booking`; every other request passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a booking POST; hand anything else to the wrapped app."""
        if not (scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in PATHS):
            await self.app(scope, receive, send)
            return
        status, body, extra = await _accept(scope["app"].state.ticketing, scope, receive)
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *extra,
        ]})
        await send({"type": "http.response.body", "body": body})


async def _accept(
    service: Ticketing, scope: Scope, receive: Receive
) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    try:
        caller = await authenticate(service.authenticate, scope, service.settings.cookie_name)
        booking = await service.create_booking(caller, booking_request(await _body(receive)))
    except HANDLED as e:
        headers = [(k.lower().encode(), v.encode()) for k, v in error_headers(e).items()]
        return *error_body(e), headers
    return ACCEPTED, BookingOut.of(booking).model_dump_json().encode(), []


async def _body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)
