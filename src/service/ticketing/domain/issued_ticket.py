"""Issued tickets: the document a paid seat gives its holder (spec/tickets.md, rules 1–7).

Statuses and transitions live in `src/service/lifecycle.py`; this module holds the values and
the pure rules: code generation, attendee validation, and the refusals a holder can hit.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from src.service.lifecycle import IssuedTicketStatus
from src.service.seats import SeatPosition
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.user import Role, User

CODE_BYTES = 16  # 128 random bits (spec/tickets.md, rule 3)
MAX_NAME = 100
MAX_EMAIL = 254
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def new_code() -> str:
    """A fresh ticket code: `CODE_BYTES` random bytes, URL-safe base64 (22 characters)."""
    return secrets.token_urlsafe(CODE_BYTES)


@dataclass(frozen=True)
class Attendee:
    """Who will use a ticket: a display name and a lower-case e-mail address."""

    name: str
    email: str


def parse_attendee(name: str, email: str) -> Attendee:
    """spec/tickets.md, rule 7: a trimmed name of 1–100 characters and a plausible e-mail of at
    most 254 characters; raises `InvalidRequest` naming the field."""
    name, email = name.strip(), email.strip().lower()
    if not 1 <= len(name) <= MAX_NAME:
        raise InvalidRequest(f"Attendee name must be 1 to {MAX_NAME} characters")
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise InvalidRequest("Attendee email must look like name@example.com")
    return Attendee(name, email)


@dataclass(frozen=True)
class IssuedTicket:
    """One issued ticket. `price` is what its seat sold for, in minor units; `previous_id` is
    the ticket it replaced by a transfer (None for one issued by a payment)."""

    id: int
    code: str | None  # None in a view for anyone but the holder (rule 4)
    event_id: int
    booking_id: UUID
    holder_id: int
    section: str
    subsection: int
    position: SeatPosition
    price: int
    status: IssuedTicketStatus
    issued_at: datetime
    attendee: Attendee | None = None
    previous_id: int | None = None
    checked_in_at: datetime | None = None
    checked_in_gate: str | None = None


def check_can_change_attendee(status: IssuedTicketStatus) -> None:
    """spec/tickets.md, rule 7: only a `valid` ticket changes its attendee; raises
    `InvalidRequest`."""
    if status is not IssuedTicketStatus.VALID:
        raise InvalidRequest(
            f"Only a valid ticket can change its attendee (this one is {status})"
        )


def check_code_admits(status: IssuedTicketStatus) -> None:
    """spec/tickets.md, rule 6: the code of a ticket that is no longer `valid` is not shown;
    raises `InvalidRequest`."""
    if status is not IssuedTicketStatus.VALID:
        raise InvalidRequest(f"Ticket is {status}: its code no longer admits")


def check_can_transfer(ticket: IssuedTicket, recipient: User | None) -> User:
    """spec/tickets.md, rule 12: a `valid` ticket goes to a registered buyer other than its
    holder; returns the recipient, raises `InvalidRequest`. An unknown e-mail and a seller's
    get the same message, so the answer tells no more than that no buyer has it."""
    if ticket.status is not IssuedTicketStatus.VALID:
        raise InvalidRequest(
            f"Only a valid ticket can be transferred (this one is {ticket.status})"
        )
    if recipient is None or recipient.role is not Role.BUYER:
        raise InvalidRequest("No buyer account with this email")
    if recipient.id == ticket.holder_id:
        raise InvalidRequest("A ticket cannot be transferred to its own holder")
    return recipient
