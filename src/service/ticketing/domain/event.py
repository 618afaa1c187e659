"""Events: a seller's show with a seating layout and per-subsection seat counts."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from src.service.ticketing.domain.refund_policy import EventTerms
from src.service.ticketing.domain.seating import SeatingConfig


class EventStatus(StrEnum):
    """Whether an event takes bookings (only `available` ones do)."""

    AVAILABLE = "available"
    SOLD_OUT = "sold_out"
    ENDED = "ended"


@dataclass(frozen=True)
class SubsectionStats:
    """Seat counts of one subsection."""

    section: str
    subsection: int
    price: int
    total: int
    available: int
    reserved: int
    sold: int


@dataclass(frozen=True)
class Attendance:
    """Live counts at the door (spec/tickets.md, rule 11): tickets checked in, and tickets
    sold that still stand for their seat (valid or checked in)."""

    checked_in: int
    sold: int


@dataclass(frozen=True)
class Event:
    """An event; `stats` and `attendance` are filled only where a use case asks for them.
    `terms` (dates, refunds) can change after creation: decisions read them from PostgreSQL,
    never from the layout cache (spec/tickets.md, rule 13)."""

    id: int
    seller_id: int
    name: str
    description: str
    venue_name: str
    seating_config: SeatingConfig
    is_active: bool
    status: EventStatus
    created_at: datetime
    stats: tuple[SubsectionStats, ...] = field(default=())
    attendance: Attendance | None = None
    terms: EventTerms = field(default=EventTerms())

    @property
    def on_sale(self) -> bool:
        """True when the event takes bookings."""
        return self.is_active and self.status is EventStatus.AVAILABLE
