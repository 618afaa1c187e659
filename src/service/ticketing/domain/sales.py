"""An event's on-sale rules: its sale window and its per-buyer limits (spec/booking.md, rules
10–12). Pure rules; times are aware datetimes."""

from dataclasses import dataclass
from datetime import UTC, datetime

from src.service.ticketing.domain.errors import Conflict, InvalidRequest

MAX_TICKETS_PER_BUYER = 10_000
OPEN_BOOKING_EXISTS = "You already have an open booking on this event"


@dataclass(frozen=True)
class SalesPolicy:
    """When an event sells and how much one buyer may hold of it. Every field is off by
    default, which is the booking PRD's behaviour: on sale while the event's status says so,
    4 seats per booking and nothing more per buyer.

    `sales_start` is the first instant bookings are taken, `sales_end` the first instant they
    are not (half-open: start ≤ now < end). `max_tickets_per_buyer` counts the seats of a
    buyer's bookings of the event in `lifecycle.LIMIT_COUNTED`; `one_open_booking_per_buyer`
    allows one `processing` or `pending_payment` booking per buyer and event."""

    sales_start: datetime | None = None
    sales_end: datetime | None = None
    max_tickets_per_buyer: int | None = None
    one_open_booking_per_buyer: bool = False

    @property
    def limits_buyers(self) -> bool:
        """True when a booking must be counted against what its buyer already holds."""
        return self.max_tickets_per_buyer is not None or self.one_open_booking_per_buyer

    def window_open(self, now: datetime) -> bool:
        """True when `now` is inside the sale window (start inclusive, end exclusive)."""
        return ((self.sales_start is None or self.sales_start <= now)
                and (self.sales_end is None or now < self.sales_end))

    def check_window(self, now: datetime) -> None:
        """spec/booking.md, rule 10; raises `InvalidRequest` "Sales have not started …" (with
        the start time, ISO 8601 in UTC) or "Sales have ended"."""
        if self.sales_start is not None and now < self.sales_start:
            start = self.sales_start.astimezone(UTC).isoformat().replace("+00:00", "Z")
            raise InvalidRequest(f"Sales have not started: they open at {start}")
        if self.sales_end is not None and now >= self.sales_end:
            raise InvalidRequest("Sales have ended")


@dataclass(frozen=True)
class Holding:
    """What one buyer holds of one event: seats over their counted bookings, and how many of
    those bookings are still open (`processing` or `pending_payment`)."""

    tickets: int = 0
    open_bookings: int = 0


def admit(policy: SalesPolicy, held: Holding, quantity: int) -> Holding:
    """The buyer's holding once a new booking of `quantity` seats is added (spec/booking.md,
    rules 11–12). Raises `Conflict` (409) when they already have an open booking and the
    event allows one, `InvalidRequest` (400) when the seats would go over the limit."""
    if policy.one_open_booking_per_buyer and held.open_bookings > 0:
        raise Conflict(OPEN_BOOKING_EXISTS)
    limit = policy.max_tickets_per_buyer
    if limit is not None and held.tickets + quantity > limit:
        raise InvalidRequest(
            f"Purchase limit reached: at most {limit} tickets per buyer for this event, "
            f"you already have {held.tickets}")
    return Holding(held.tickets + quantity, held.open_bookings + 1)


def check_sales(policy: SalesPolicy) -> SalesPolicy:
    """Validate a policy as it is set on create or PATCH; raises `InvalidRequest`: times with
    their offset, `sales_end` after `sales_start`, a limit from 1 to 10,000 tickets."""
    for name, at in (("sales_start", policy.sales_start), ("sales_end", policy.sales_end)):
        if at is not None and at.utcoffset() is None:
            raise InvalidRequest(f"{name} must carry its UTC offset")
    if (policy.sales_start is not None and policy.sales_end is not None
            and policy.sales_end <= policy.sales_start):
        raise InvalidRequest("sales_end must be after sales_start")
    limit = policy.max_tickets_per_buyer
    if limit is not None and not 1 <= limit <= MAX_TICKETS_PER_BUYER:
        raise InvalidRequest(
            f"max_tickets_per_buyer must be from 1 to {MAX_TICKETS_PER_BUYER}, or null")
    return policy
