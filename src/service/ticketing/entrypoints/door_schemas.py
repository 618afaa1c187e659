"""Request and response bodies of the door routes (spec/tickets.md, rules 8–11)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, RootModel

from src.service.ticketing.application.ticket_views import Page
from src.service.ticketing.domain.check_in import (
    MAX_BATCH,
    MAX_CODE,
    MAX_GATE,
    MAX_NONCE,
    Scan,
    ScanRecord,
    ScanResult,
    refusal,
)
from src.service.ticketing.domain.issued_ticket import IssuedTicket
from src.service.ticketing.domain.user import User
from src.service.ticketing.entrypoints.inputs import (
    Documented,
    EmailText,
    Strict,
    Text,
    Timestamp,
)
from src.service.ticketing.entrypoints.ticket_schemas import AttendeeOut

# A code, gate or nonce is 1 to its maximum of characters (`domain/check_in.py`, which says
# so in its refusal); the document shows the lower bound too.
Word = Annotated[Text, Documented(minLength=1)]


class StaffIn(Strict):
    """`POST` / `DELETE /api/event/{id}/staff`: the account, by e-mail."""

    email: EmailText = Field(min_length=3, max_length=254, json_schema_extra={"format": "email"})


class StaffOut(BaseModel):
    """A door staff member of an event."""

    id: int
    email: str
    name: str

    @classmethod
    def of(cls, user: User) -> "StaffOut":
        """From the domain user."""
        return cls(id=user.id, email=user.email, name=user.name)


class ScanIn(Strict):
    """`POST /api/event/{id}/check-in`: the code a live gate read, and the gate's name."""

    code: Word = Field(max_length=MAX_CODE)
    gate: Word | None = Field(default=None, max_length=MAX_GATE)

    def to_scan(self) -> Scan:
        """The use case's input."""
        return Scan(self.code, self.gate)


class OfflineScanIn(Strict):
    """One scan of an offline gate's upload: its nonce makes it idempotent; `scanned_at` is
    ISO 8601 with its offset."""

    code: Word = Field(max_length=MAX_CODE)
    nonce: Word = Field(max_length=MAX_NONCE)
    scanned_at: Timestamp
    gate: Word = Field(max_length=MAX_GATE)

    def to_scan(self) -> Scan:
        """The use case's input."""
        return Scan(self.code, self.gate, self.scanned_at, self.nonce)


class UploadIn(RootModel[Annotated[
        list[OfflineScanIn], Field(max_length=MAX_BATCH), Documented(minItems=1)]]):
    """`POST /api/event/{id}/check-in/batch`: an offline gate's scans, a JSON array."""

    model_config = ConfigDict(strict=True)


class DoorTicketOut(BaseModel):
    """A ticket as the door sees it: seat, attendee, status (never its code)."""

    id: int
    status: str
    section: str
    subsection: int
    seat_position: str
    attendee: AttendeeOut | None

    @classmethod
    def of(cls, t: IssuedTicket) -> "DoorTicketOut":
        """From the domain ticket."""
        attendee = AttendeeOut(name=t.attendee.name, email=t.attendee.email) if t.attendee else None
        return cls(id=t.id, status=t.status.value, section=t.section, subsection=t.subsection,
                   seat_position=str(t.position), attendee=attendee)


class CheckedInOut(BaseModel):
    """The answer to an admitted scan."""

    result: str
    ticket: DoorTicketOut
    checked_in_at: datetime
    gate: str | None

    @classmethod
    def of(cls, r: ScanResult) -> "CheckedInOut":
        """From an admitted scan's result."""
        assert r.ticket is not None and r.checked_in_at is not None, "an admitted scan"
        return cls(result=r.outcome.value, ticket=DoorTicketOut.of(r.ticket),
                   checked_in_at=r.checked_in_at, gate=r.gate)


class UploadResultOut(BaseModel):
    """What became of one scan of an upload; `detail` is the refusal ('' when admitted)."""

    nonce: str
    result: str
    detail: str
    replayed: bool
    ticket: DoorTicketOut | None
    checked_in_at: datetime | None
    gate: str | None

    @classmethod
    def of(cls, nonce: str, r: ScanResult) -> "UploadResultOut":
        """From one scan's result."""
        return cls(nonce=nonce, result=r.outcome.value, detail=refusal(r), replayed=r.replayed,
                   ticket=DoorTicketOut.of(r.ticket) if r.ticket else None,
                   checked_in_at=r.checked_in_at, gate=r.gate)


class UploadOut(BaseModel):
    """`POST /api/event/{id}/check-in/batch`: one result per scan, in upload order."""

    results: list[UploadResultOut]


class ScanOut(BaseModel):
    """One line of the scan log."""

    id: int
    ticket_id: int | None
    code: str
    result: str
    gate: str | None
    staff_id: int
    scanned_at: datetime
    recorded_at: datetime | None
    nonce: str | None

    @classmethod
    def of(cls, s: ScanRecord) -> "ScanOut":
        """From the domain record."""
        return cls(id=s.id, ticket_id=s.ticket_id, code=s.code, result=s.outcome.value,
                   gate=s.gate, staff_id=s.staff_id, scanned_at=s.scanned_at,
                   recorded_at=s.recorded_at, nonce=s.nonce)


class ScanPageOut(BaseModel):
    """One page of the scan log, newest first, with the total."""

    items: list[ScanOut]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: Page[ScanRecord]) -> "ScanPageOut":
        """From the read model."""
        return cls(items=[ScanOut.of(s) for s in page.items], total=page.total,
                   limit=page.limit, offset=page.offset)
