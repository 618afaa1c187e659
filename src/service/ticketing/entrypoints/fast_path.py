"""The flash-sale hot path: `POST /api/booking` answered without the framework's layers.

In a sale this one request is nearly all the traffic, and routing, dependency injection and
generic body/response handling cost more CPU than the booking itself. `BookingFastPath` is a
thin ASGI adapter over the same use case, request parser, credentials helper, Idempotency-Key
header and error table as the documented route in `api_bookings.py`; switched off
(`create_app(fast_path=False)`), the route serves the same contract.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from src.service.ticketing.bootstrap import Ticketing
from src.service.ticketing.entrypoints.api_bookings import ACCEPTED, booking_request
from src.service.ticketing.entrypoints.asgi import send_json
from src.service.ticketing.entrypoints.credentials import authenticate
from src.service.ticketing.entrypoints.errors import (
    HANDLED,
    encoded,
    error_response,
    internal_error,
)
from src.service.ticketing.entrypoints.idempotency import REPLAYED, key_from_scope
from src.service.ticketing.entrypoints.schemas import BookingOut

PATHS = ("/api/booking", "/api/booking/")
_REPLAYED = [(REPLAYED[0].lower().encode(), REPLAYED[1].encode())]


class BookingFastPath:
    """ASGI middleware serving `POST /api/booking`; every other request passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a booking POST; hand anything else to the wrapped app."""
        if not (scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in PATHS):
            await self.app(scope, receive, send)
            return
        await send_json(send, *await _accept(scope["app"].state.ticketing, scope, receive))


async def _accept(
    service: Ticketing, scope: Scope, receive: Receive
) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    try:
        caller = await authenticate(service.authenticate, scope, service.settings.cookie_name)
        key = key_from_scope(scope)
        reply = await service.create_booking(caller, booking_request(await _body(receive)), key)
    except HANDLED as e:
        return encoded(error_response(e))
    except Exception as e:  # noqa: BLE001 - the last resort of this path, as of every route
        return encoded(internal_error(e, scope["path"]))
    body = BookingOut.of(reply.booking).model_dump_json().encode()
    return ACCEPTED, body, _REPLAYED if reply.replayed else []


async def _body(receive: Receive) -> bytes:
    # `Hardening` has read the body under its deadline already; this reads it from memory.
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)
