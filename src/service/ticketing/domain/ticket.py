"""Tickets: one per seat of an event, held by at most one booking at a time."""

from dataclasses import dataclass

from src.service.lifecycle import TicketStatus
from src.service.seats import SeatPosition


@dataclass(frozen=True)
class Ticket:
    """The ticket of one seat; `code` is issued when its booking is paid, `price` is in
    minor units (spec/architecture.md, "Lifecycle")."""

    id: int
    event_id: int
    section: str
    subsection: int
    position: SeatPosition
    price: int
    status: TicketStatus
    code: str | None = None
