"""/api/booking: create (202), get, my bookings, cancel, pay (booking PRD §6.1)."""

from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from src.service.ticketing.application.bookings import BookingRequest
from src.service.ticketing.domain.booking import BookingStatus, SeatSelectionMode
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.entrypoints.deps import Caller, Service
from src.service.ticketing.entrypoints.schemas import (
    BookingCreate,
    BookingDetail,
    BookingOut,
    describe_errors,
)

router = APIRouter(prefix="/api/booking", tags=["booking"])


_BOOKING_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": BookingCreate.model_json_schema()}},
    }
}


@router.post("", status_code=202, response_model=BookingOut, openapi_extra=_BOOKING_BODY)
async def create_booking(request: Request, caller: Caller, service: Service) -> Response:
    """Accept a booking: stored as `processing` and handed to the reservation service; watch
    the outcome on `/api/booking/event/{event_id}/sse`.

    The flash-sale hot path: the body is validated and the answer serialised by pydantic-core
    directly, skipping FastAPI's generic body and response handling (same schema, same
    400 messages)."""
    try:
        body = BookingCreate.model_validate_json(await request.body())
    except ValidationError as e:
        raise InvalidRequest(describe_errors(e.errors())) from e
    booking = await service.bookings.create(caller, BookingRequest(
        event_id=body.event_id, section=body.section, subsection=body.subsection,
        quantity=body.quantity, seat_selection_mode=SeatSelectionMode(body.seat_selection_mode),
        seat_positions=body.seat_positions,
    ))
    return Response(BookingOut.of(booking).model_dump_json(), status_code=202,
                    media_type="application/json")


@router.get("/my_booking")
async def my_bookings(
    caller: Caller, service: Service, booking_status: BookingStatus | None = None
) -> list[BookingOut]:
    """A buyer's bookings, or all bookings on a seller's events; optional status filter."""
    return [BookingOut.of(b) for b in await service.bookings.list(caller, booking_status)]


@router.get("/{booking_id}")
async def get_booking(booking_id: UUID, caller: Caller, service: Service) -> BookingDetail:
    """One booking with its event, buyer and tickets."""
    return BookingDetail.of(await service.bookings.get(caller, booking_id))


@router.patch("/{booking_id}")
async def cancel_booking(booking_id: UUID, caller: Caller, service: Service) -> BookingOut:
    """Cancel a processing or pending_payment booking; its seats are released."""
    return BookingOut.of(await service.bookings.cancel(caller, booking_id))


@router.post("/{booking_id}/pay")
async def pay_booking(booking_id: UUID, caller: Caller, service: Service) -> BookingDetail:
    """Mock payment of a pending_payment booking; its tickets are sold and get codes."""
    await service.bookings.pay(caller, booking_id)
    return BookingDetail.of(await service.bookings.get(caller, booking_id))
