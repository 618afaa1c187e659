"""/api/ticket: my tickets, one ticket, its QR code, its attendee (spec/tickets.md), under the
input rules of spec/security.md (`entrypoints/inputs.py`)."""

from fastapi import APIRouter, Request, Response

from src.service.lifecycle import IssuedTicketStatus
from src.service.ticketing.application.ticket_qr import QrFormat
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.paging import DEFAULT_LIMIT
from src.service.ticketing.entrypoints.deps import Caller, Service
from src.service.ticketing.entrypoints.inputs import (
    IdQuery,
    LimitQuery,
    OffsetQuery,
    TicketIdPath,
    documented,
    email_address,
    json_body,
)
from src.service.ticketing.entrypoints.ticket_schemas import (
    AttendeeIn,
    IssuedTicketOut,
    TicketPageOut,
    TransferIn,
)

router = APIRouter(prefix="/api/ticket", tags=["ticket"])
NOT_MODIFIED = 304
QR_CACHE = "private, no-cache"  # a secret, and its status can change (spec/tickets.md, rule 6)
BAD_ATTENDEE_EMAIL = "Attendee email must look like name@example.com"  # domain/issued_ticket.py


@router.get("/my")
async def my_tickets(
    caller: Caller, service: Service, event_id: IdQuery = None,
    status: IssuedTicketStatus | None = None, limit: LimitQuery = DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> TicketPageOut:
    """The caller's tickets, newest first, with `total`; filters `event_id`, `status`."""
    page = await service.tickets.list_mine(caller, event_id, status, limit, offset)
    return TicketPageOut.of(page)


@router.get("/{ticket_id}")
async def get_ticket(ticket_id: TicketIdPath, caller: Caller, service: Service) -> IssuedTicketOut:
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
    request: Request, ticket_id: TicketIdPath, caller: Caller, service: Service
) -> Response:
    """The holder's QR code of a valid ticket, as PNG; 304 for a matching `If-None-Match`."""
    return await _qr(request, ticket_id, QrFormat.PNG, caller, service)


@router.get("/{ticket_id}/qr.svg", response_class=Response)
async def ticket_qr_svg(
    request: Request, ticket_id: TicketIdPath, caller: Caller, service: Service
) -> Response:
    """The holder's QR code of a valid ticket, as SVG; 304 for a matching `If-None-Match`."""
    return await _qr(request, ticket_id, QrFormat.SVG, caller, service)


@router.put("/{ticket_id}/attendee", openapi_extra=documented(AttendeeIn))
async def set_attendee(
    ticket_id: TicketIdPath, caller: Caller, service: Service,
    body: AttendeeIn = json_body(AttendeeIn),
) -> IssuedTicketOut:
    """The holder names who will use a valid ticket (spec/tickets.md, rule 7)."""
    try:
        email = email_address(body.email.strip())
    except InvalidRequest:
        raise InvalidRequest(BAD_ATTENDEE_EMAIL) from None
    view = await service.tickets.set_attendee(caller, ticket_id, body.name, email)
    return IssuedTicketOut.of(view)


@router.post("/{ticket_id}/transfer", openapi_extra=documented(TransferIn))
async def transfer_ticket(
    ticket_id: TicketIdPath, caller: Caller, service: Service,
    body: TransferIn = json_body(TransferIn),
) -> IssuedTicketOut:
    """The holder gives a valid ticket to another buyer: this ticket becomes `transferred`
    (its code no longer admits) and the recipient gets a new one with a new code."""
    to_email = email_address(body.to_email.strip())
    return IssuedTicketOut.of(await service.tickets.transfer(caller, ticket_id, to_email))
