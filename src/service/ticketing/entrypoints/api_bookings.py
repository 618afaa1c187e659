"""/api/booking: create (202), get, my bookings, cancel, pay (booking PRD §6.1)."""

from uuid import UUID

from fastapi import APIRouter, Request, Response

from src.service.ticketing.domain.booking import BookingStatus
from src.service.ticketing.entrypoints.deps import Caller, Service
from src.service.ticketing.entrypoints.fast_path import accept_booking
from src.service.ticketing.entrypoints.schemas import (
    BookingCreate,
    BookingDetail,
    BookingOut,
)

router = APIRouter(prefix="/api/booking", tags=["booking"])


_BOOKING_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": BookingCreate.model_json_schema()}},
    }
}


@router.post("", status_code=202, response_model=BookingOut, openapi_extra=_BOOKING_BODY)
async def create_booking(request: Request, service: Service) -> Response:
    """Accept a booking: stored as `processing` and handed to the reservation service; watch
    the outcome on `/api/booking/event/{event_id}/sse`. Served by `fast_path.BookingFastPath`
    in the running app; this route documents it and shares its implementation."""
    status, body = await accept_booking(
        service, request.cookies.get(service.settings.cookie_name),
        request.headers.get("authorization", ""), await request.body(),
    )
    return Response(body, status_code=status, media_type="application/json")


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
