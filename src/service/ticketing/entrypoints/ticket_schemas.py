"""Request and response bodies of the ticket routes (spec/tickets.md, "Endpoints")."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from src.service.ticketing.application.ticket_views import Page, TicketView
from src.service.ticketing.entrypoints.inputs import EmailText, Strict, Text

# Path and query ids are the types of `entrypoints/inputs.py` (spec/security.md, "Input rules").


class AttendeeIn(Strict):
    """`PUT /api/ticket/{id}/attendee`; the domain checks the values (spec/tickets.md, rule 7),
    the route the address's syntax (`inputs.email_address`)."""

    name: Text = Field(max_length=500)
    email: EmailText = Field(max_length=500, json_schema_extra={"format": "email"})


class TransferIn(Strict):
    """`POST /api/ticket/{id}/transfer`: the recipient's account, by e-mail."""

    to_email: EmailText = Field(min_length=3, max_length=254, json_schema_extra={"format": "email"})


class AttendeeOut(BaseModel):
    """Who will use the ticket."""

    name: str
    email: str


class TicketEventOut(BaseModel):
    """The event a ticket is for."""

    id: int
    name: str
    venue_name: str


class IssuedTicketOut(BaseModel):
    """An issued ticket: seat, price (minor units), status, attendee; `code` only for its
    holder (spec/tickets.md, rule 4); `transferred_from` is the ticket it replaced."""

    id: int
    code: str | None
    status: str
    event: TicketEventOut
    booking_id: UUID
    section: str
    subsection: int
    row: int
    seat: int
    seat_position: str
    price: int
    attendee: AttendeeOut | None
    issued_at: datetime
    transferred_from: int | None
    checked_in_at: datetime | None
    checked_in_gate: str | None

    @classmethod
    def of(cls, view: TicketView) -> "IssuedTicketOut":
        """From the read model."""
        t, e = view.ticket, view.event
        attendee = AttendeeOut(name=t.attendee.name, email=t.attendee.email) if t.attendee else None
        return cls(
            id=t.id, code=t.code, status=t.status.value,
            event=TicketEventOut(id=e.id, name=e.name, venue_name=e.venue_name),
            booking_id=t.booking_id, section=t.section, subsection=t.subsection,
            row=t.position.row, seat=t.position.seat, seat_position=str(t.position),
            price=t.price, attendee=attendee, issued_at=t.issued_at,
            transferred_from=t.previous_id, checked_in_at=t.checked_in_at,
            checked_in_gate=t.checked_in_gate,
        )


class TicketPageOut(BaseModel):
    """One page of tickets and the total matching the filters (spec/tickets.md, rule 5)."""

    items: list[IssuedTicketOut]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: Page[TicketView]) -> "TicketPageOut":
        """From the read model."""
        return cls(items=[IssuedTicketOut.of(v) for v in page.items], total=page.total,
                   limit=page.limit, offset=page.offset)
