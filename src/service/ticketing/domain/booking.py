"""Booking: the request rules, the refusals of the status machine, the payment deadline and the
failure reasons the ticketing service writes (spec/booking.md, rules 1–6 and "Failure
reasons"). The statuses and transitions themselves live in `src/service/lifecycle.py`."""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from src.service.lifecycle import (
    CANCEL_HELD,
    CANCEL_UNSETTLED,
    EXPIRE,
    PAY,
    BookingStatus,
    Transition,
)
from src.service.seats import SeatPosition
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.seating import SeatingConfig, parse_seat_position

MIN_SEATS, MAX_SEATS = 1, 4


class SeatSelectionMode(StrEnum):
    """How the seats are chosen (spec/booking.md, rule 2)."""

    MANUAL = "manual"
    BEST_AVAILABLE = "best_available"


class FailureReason(StrEnum):
    """Every `failure_reason` the ticketing service writes: buyer-readable, from this fixed
    list only (spec/booking.md, "Failure reasons")."""

    # The settle deadline passed with the booking still processing (lifecycle.GIVE_UP;
    # spec/architecture.md, guarantee 8).
    NOT_CONFIRMED_IN_TIME = "Booking could not be confirmed in time"


# spec/booking.md, rule 5: the exact messages for refused transitions.
_CANCEL_REFUSALS = {
    BookingStatus.COMPLETED: "Cannot cancel a completed booking",
    BookingStatus.CANCELLED: "Booking already in terminal state",
    BookingStatus.FAILED: "Cannot cancel failed booking",
    BookingStatus.REFUNDED: "Cannot cancel a refunded booking",
    BookingStatus.EXPIRED: "Cannot cancel an expired booking",
}
_PAY_REFUSALS = {
    BookingStatus.PROCESSING: "Cannot pay booking in processing state",
    BookingStatus.COMPLETED: "Booking is already paid",
    BookingStatus.CANCELLED: "Cannot pay cancelled booking",
    BookingStatus.FAILED: "Cannot pay failed booking",
    BookingStatus.REFUNDED: "Cannot pay refunded booking",
    BookingStatus.EXPIRED: "Booking has expired",
}


@dataclass(frozen=True)
class Booking:
    """A buyer's request for 1–4 seats of one subsection, and what became of it.

    `seat_positions` are the seats asked for (manual) until the booking settles, then the
    seats it holds; `total_price` is in minor units. `expires_at` is the payment deadline of
    a booking that settled holding seats on an event with one, else None (no limit:
    spec/booking.md, rule 6).
    """

    id: UUID
    buyer_id: int
    event_id: int
    section: str
    subsection: int
    quantity: int
    seat_selection_mode: SeatSelectionMode
    seat_positions: tuple[SeatPosition, ...]
    total_price: int
    status: BookingStatus
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None = None
    failure_reason: str | None = None
    expires_at: datetime | None = None

    def is_due(self, now: datetime) -> bool:
        """True when the booking awaits payment and its deadline is at or before `now`: it is
        expired, whether or not the sweeper has written so yet (spec/booking.md, rule 6)."""
        return (EXPIRE.allows(self.status) and self.expires_at is not None
                and self.expires_at <= now)

    def as_of(self, now: datetime) -> "Booking":
        """The booking as a reader at `now` must see it: `expired` once due (the lazy half of
        rule 6), else unchanged."""
        return replace(self, status=EXPIRE.target) if self.is_due(now) else self


def check_seat_request(
    mode: SeatSelectionMode, quantity: int, positions: list[str], config: SeatingConfig
) -> tuple[SeatPosition, ...]:
    """spec/booking.md, rules 1–3: the positions asked for (empty for best available).
    Raises `InvalidRequest`."""
    if not MIN_SEATS <= quantity <= MAX_SEATS:
        raise InvalidRequest(f"Quantity must be between {MIN_SEATS} and {MAX_SEATS}")
    if mode is SeatSelectionMode.BEST_AVAILABLE:
        if positions:
            raise InvalidRequest("Best available mode requires seat_positions to be empty")
        return ()
    if len(positions) != quantity:
        raise InvalidRequest("Manual selection requires seat_positions count to match quantity")
    seats = tuple(parse_seat_position(p, config) for p in positions)
    if len(set(seats)) != len(seats):
        raise InvalidRequest("Duplicate seat positions")
    return seats


def same_request(a: Booking, b: Booking) -> bool:
    """True when two bookings ask for the same thing: event, subsection, quantity, mode and,
    for manual picks, the same seats (a settled best-available booking has seats, its retry
    none). Used to tell a retry from another request under one Idempotency-Key."""
    asked = (a.event_id, a.section, a.subsection, a.quantity, a.seat_selection_mode)
    if asked != (b.event_id, b.section, b.subsection, b.quantity, b.seat_selection_mode):
        return False
    return a.seat_selection_mode is SeatSelectionMode.BEST_AVAILABLE or (
        set(a.seat_positions) == set(b.seat_positions))


def check_can_cancel(status: BookingStatus) -> Transition:
    """The cancel transition a booking in `status` takes; raises `InvalidRequest` with the
    rule's message when it cannot be cancelled (spec/booking.md, rule 5)."""
    for transition in (CANCEL_UNSETTLED, CANCEL_HELD):
        if transition.allows(status):
            return transition
    raise InvalidRequest(_CANCEL_REFUSALS[status])


def check_can_pay(status: BookingStatus) -> Transition:
    """The pay transition; raises `InvalidRequest` unless the booking awaits payment
    (spec/booking.md, rule 5)."""
    if not PAY.allows(status):
        raise InvalidRequest(_PAY_REFUSALS[status])
    return PAY
