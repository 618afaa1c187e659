"""/api/ticket: my tickets, one ticket, its QR code, its attendee (spec/tickets.md)."""

from fastapi import APIRouter, Request, Response

from src.service.lifecycle import IssuedTicketStatus
from src.service.ticketing.application.ticket_qr import QrFormat
from src.service.ticketing.domain.paging import DEFAULT_LIMIT
from src.service.ticketing.entrypoints.deps import Caller, Service
from src.service.ticketing.entrypoints.ticket_schemas import (
    AttendeeIn,
    EventFilter,
    IssuedTicketOut,
    TicketId,
    TicketPageOut,
    TransferIn,
)

router = APIRouter(prefix="/api/ticket", tags=["ticket"])
NOT_MODIFIED = 304
QR_CACHE = "private, no-cache"  # a secret, and its status can change (spec/tickets.md, rule 6)


@router.get("/my")
async def my_tickets(
    caller: Caller, service: Service, event_id: EventFilter = None,
    status: IssuedTicketStatus | None = None, limit: int = DEFAULT_LIMIT, offset: int = 0,
) -> TicketPageOut:
    """The caller's tickets, newest first, with `total`; filters `event_id`, `status`."""
    page = await service.tickets.list_mine(caller, event_id, status, limit, offset)
    return TicketPageOut.of(page)


@router.get("/{ticket_id}")
async def get_ticket(ticket_id: TicketId, caller: Caller, service: Service) -> IssuedTicketOut:
    """One ticket, for its holder (with its code) or the seller of its event (without)."""
    return IssuedTicketOut.of(await service.tickets.get(caller, ticket_id))


async def _qr(
    request: Request, ticket_id: int, fmt: QrFormat, caller: Caller, service: Service
) -> Response:
    image = await service.tickets.qr(caller, ticket_id, fmt)
    headers = {"ETag": image.etag, "Cache-Control": QR_CACHE}
    if request.headers.get("if-none-match") == image.etag:
        return Response(status_code=NOT_MODIFIED, headers=headers)
    return Response(image.body, media_type=image.media_type, headers=headers)


@router.get("/{ticket_id}/qr.png", response_class=Response)
async def ticket_qr_png(
    request: Request, ticket_id: TicketId, caller: Caller, service: Service
) -> Response:
    """The holder's QR code of a valid ticket, as PNG; 304 for a matching `If-None-Match`."""
    return await _qr(request, ticket_id, QrFormat.PNG, caller, service)


@router.get("/{ticket_id}/qr.svg", response_class=Response)
async def ticket_qr_svg(
    request: Request, ticket_id: TicketId, caller: Caller, service: Service
) -> Response:
    """The holder's QR code of a valid ticket, as SVG; 304 for a matching `If-None-Match`."""
    return await _qr(request, ticket_id, QrFormat.SVG, caller, service)


@router.put("/{ticket_id}/attendee")
async def set_attendee(
    ticket_id: TicketId, body: AttendeeIn, caller: Caller, service: Service
) -> IssuedTicketOut:
    """The holder names who will use a valid ticket."""
    view = await service.tickets.set_attendee(caller, ticket_id, body.name, body.email)
    return IssuedTicketOut.of(view)


@router.post("/{ticket_id}/transfer")
async def transfer_ticket(
    ticket_id: TicketId, body: TransferIn, caller: Caller, service: Service
) -> IssuedTicketOut:
    """The holder gives a valid ticket to another buyer: this ticket becomes `transferred`
    (its code no longer admits) and the recipient gets a new one with a new code."""
    return IssuedTicketOut.of(await service.tickets.transfer(caller, ticket_id, body.to_email))
