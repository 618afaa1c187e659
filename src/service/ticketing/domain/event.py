"""Events: a seller's show with a seating layout and per-subsection seat counts."""

from dataclasses import dataclass, field
from datetime import datetime

from src.service.lifecycle import TAKES_BOOKINGS, EventStatus
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.refund_policy import EventTerms
from src.service.ticketing.domain.sales import SalesPolicy
from src.service.ticketing.domain.seating import SeatingConfig

# The payment deadline a seller may set, in seconds (spec/booking.md, rule 6).
MIN_HOLD_S, MAX_HOLD_S = 30, 86_400


def check_hold_seconds(value: int | None) -> int | None:
    """An event's `hold_seconds`: None (no payment deadline, the default) or a whole number of
    seconds from `MIN_HOLD_S` to `MAX_HOLD_S`; raises `InvalidRequest` otherwise
    (spec/booking.md, rule 6)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not (
            MIN_HOLD_S <= value <= MAX_HOLD_S):
        raise InvalidRequest(f"hold_seconds must be a whole number of seconds from {MIN_HOLD_S}"
                             f" to {MAX_HOLD_S}, or null for no payment deadline")
    return value


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
    never from the layout cache (spec/tickets.md, rule 13). `hold_seconds` is the payment
    deadline of its held bookings, None for none (spec/booking.md, rule 6). `sales` (window,
    per-buyer limits) can change too; the accept path reads it from the cache, so a change
    reaches every process within the cache's TTL (spec/booking.md, rules 10–12)."""

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
    hold_seconds: int | None = None
    sales: SalesPolicy = field(default=SalesPolicy())

    @property
    def on_sale(self) -> bool:
        """True when the event takes bookings: active and `on_sale` (spec/tickets.md, rule
        18)."""
        return self.is_active and self.status is TAKES_BOOKINGS

    def sales_open(self, now: datetime) -> bool:
        """True when the event takes bookings at `now`: on sale and inside its sale window
        (spec/booking.md, rule 10)."""
        return self.on_sale and self.sales.window_open(now)


@dataclass(frozen=True)
class EventQuery:
    """A page of the public event list (spec/tickets.md, rule 17): events of `seller_id` in
    `status` (any when None), else active events in `status` (on sale when None); starting in
    [`starts_from`, `starts_until`] when given; whose name, description or venue contains
    `text` (any case). Ordered by `starts_at` (undated events last), then id."""

    seller_id: int | None = None
    status: EventStatus | None = None
    starts_from: datetime | None = None
    starts_until: datetime | None = None
    text: str | None = None
    limit: int = 20
    offset: int = 0
