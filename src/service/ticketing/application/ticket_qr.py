"""Use case: a ticket's code as a QR image for its holder (spec/tickets.md, rule 6)."""

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.application.ticket_access import held_ticket
from src.service.ticketing.application.ticket_ports import QrRenderer
from src.service.ticketing.domain.issued_ticket import check_code_admits
from src.service.ticketing.domain.user import Principal


class QrFormat(StrEnum):
    """Image formats of the QR code, by file extension."""

    PNG = "png"
    SVG = "svg"


MEDIA_TYPES = {QrFormat.PNG: "image/png", QrFormat.SVG: "image/svg+xml"}


@dataclass(frozen=True)
class QrImage:
    """A rendered QR code: `body` of `media_type`, and a strong `etag` (quoted) that changes
    exactly when the image would."""

    body: bytes
    media_type: str
    etag: str


def etag_of(fmt: QrFormat, code: str) -> str:
    """A quoted strong entity tag over the format and the code (the code is not readable from
    it)."""
    return '"' + hashlib.sha256(f"{fmt}:{code}".encode()).hexdigest()[:32] + '"'


@dataclass(frozen=True)
class TicketQr:
    """The holder's QR code of a `valid` ticket."""

    uow: UnitOfWorkFactory
    qr: QrRenderer

    async def __call__(self, principal: Principal, ticket_id: int, fmt: QrFormat) -> QrImage:
        """The image; raises `NotFound`, `Forbidden` (the event's seller), `InvalidRequest`
        (the ticket is no longer valid)."""
        view = await held_ticket(self.uow, principal, ticket_id,
                                 "Only the holder of this ticket can show its code")
        ticket = view.ticket
        check_code_admits(ticket.status)
        assert ticket.code is not None, "the holder's view carries the code"
        body = self.qr.png(ticket.code) if fmt is QrFormat.PNG else self.qr.svg(ticket.code)
        return QrImage(body, MEDIA_TYPES[fmt], etag_of(fmt, ticket.code))
