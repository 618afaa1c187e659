"""Refunds of paid tickets, one or a whole booking's (spec/tickets.md, rules 14–15); path ids
by the input rules of spec/security.md (`entrypoints/inputs.py`)."""

from uuid import UUID

from fastapi import APIRouter

from src.service.ticketing.entrypoints.deps import Caller, Service
from src.service.ticketing.entrypoints.inputs import TicketIdPath
from src.service.ticketing.entrypoints.refund_schemas import BookingRefundOut, TicketRefundOut

router = APIRouter(prefix="/api", tags=["refund"])


@router.post("/ticket/{ticket_id}/refund")
async def refund_ticket(
    ticket_id: TicketIdPath, caller: Caller, service: Service
) -> TicketRefundOut:
    """The holder (its booking's buyer) refunds a valid ticket by the event's policy; the seat
    goes back on sale."""
    return TicketRefundOut.of(await service.tickets.refund_ticket(caller, ticket_id))


@router.post("/booking/{booking_id}/refund")
async def refund_booking(booking_id: UUID, caller: Caller, service: Service) -> BookingRefundOut:
    """The buyer refunds every valid ticket of a completed booking they still hold."""
    return BookingRefundOut.of(await service.tickets.refund_booking(caller, booking_id))
