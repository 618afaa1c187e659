"""/api/booking: create (202), get, my bookings, cancel, pay (spec/booking.md, "Endpoints")."""

from uuid import UUID

from fastapi import APIRouter, Request, Response

from src.service.lifecycle import BookingStatus
from src.service.ticketing.application.create_booking import BookingRequest
from src.service.ticketing.domain.idempotency import parse_key
from src.service.ticketing.entrypoints.deps import Caller, Service
from src.service.ticketing.entrypoints.idempotency import KeyHeader, mark_replayed
from src.service.ticketing.entrypoints.schemas import (
    BookingCreate,
    BookingDetail,
    BookingOut,
)

router = APIRouter(prefix="/api/booking", tags=["booking"])
ACCEPTED = 202

_BOOKING_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": BookingCreate.model_json_schema()}},
    }
}


def booking_request(raw: bytes) -> BookingRequest:
    """Parse a `POST /api/booking` body; raises `pydantic.ValidationError` (400)."""
    return BookingCreate.model_validate_json(raw).to_request()


@router.post("", status_code=ACCEPTED, openapi_extra=_BOOKING_BODY)
async def create_booking(
    request: Request, response: Response, caller: Caller, service: Service,
    idempotency_key: KeyHeader = None,
) -> BookingOut:
    """Accept a booking: stored as `processing` and handed to the reservation service; watch
    the outcome on `/api/booking/event/{event_id}/sse`. A retry under the same
    `Idempotency-Key` answers 202 with the booking first created. In the running app the ASGI
    adapter `fast_path.BookingFastPath` answers this route with the same parser and use case."""
    key = parse_key(idempotency_key)
    reply = await service.create_booking(caller, booking_request(await request.body()), key)
    mark_replayed(response, reply)
    return BookingOut.of(reply.booking)


@router.get("/my_booking")
async def my_bookings(
    caller: Caller, service: Service, booking_status: BookingStatus | None = None
) -> list[BookingOut]:
    """A buyer's bookings, or all bookings on a seller's events; optional status filter."""
    return [BookingOut.of(b) for b in await service.list_bookings(caller, booking_status)]


@router.get("/{booking_id}")
async def get_booking(booking_id: UUID, caller: Caller, service: Service) -> BookingDetail:
    """One booking with its event, buyer and tickets."""
    return BookingDetail.of(await service.get_booking(caller, booking_id))


@router.patch("/{booking_id}")
async def cancel_booking(
    booking_id: UUID, response: Response, caller: Caller, service: Service,
    idempotency_key: KeyHeader = None,
) -> BookingOut:
    """Cancel a processing or pending_payment booking; its seats are released. A retry under
    the same `Idempotency-Key` answers 200 with the booking as it is now."""
    reply = await service.cancel_booking(caller, booking_id, parse_key(idempotency_key))
    mark_replayed(response, reply)
    return BookingOut.of(reply.booking)


@router.post("/{booking_id}/pay")
async def pay_booking(
    booking_id: UUID, response: Response, caller: Caller, service: Service,
    idempotency_key: KeyHeader = None,
) -> BookingDetail:
    """Mock payment of a pending_payment booking; its tickets are sold and get codes. Past the
    booking's `expires_at` it is refused with 400 `Booking has expired` (spec/booking.md, rule
    6). A retry under the same `Idempotency-Key` answers 200 with the booking as it is now."""
    reply = await service.pay_booking(caller, booking_id, parse_key(idempotency_key))
    mark_replayed(response, reply)
    return BookingDetail.of(await service.get_booking(caller, booking_id))
