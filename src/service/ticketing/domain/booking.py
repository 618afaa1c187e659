"""Booking: the request rules and the status machine of the booking PRD (§3, §6.2)."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.seating import SeatingConfig, parse_seat_position

MIN_SEATS, MAX_SEATS = 1, 4


class BookingStatus(StrEnum):
    PROCESSING = "processing"
    PENDING_PAYMENT = "pending_payment"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class SeatSelectionMode(StrEnum):
    MANUAL = "manual"
    BEST_AVAILABLE = "best_available"


CANCELLABLE = (BookingStatus.PROCESSING, BookingStatus.PENDING_PAYMENT)

# Booking PRD §3 rule 5: the exact messages for refused transitions.
_CANCEL_REFUSALS = {
    BookingStatus.COMPLETED: "Cannot cancel a completed booking",
    BookingStatus.CANCELLED: "Booking already in terminal state",
    BookingStatus.FAILED: "Cannot cancel failed booking",
}
_PAY_REFUSALS = {
    BookingStatus.PROCESSING: "Cannot pay booking in processing state",
    BookingStatus.COMPLETED: "Booking is already paid",
    BookingStatus.CANCELLED: "Cannot pay cancelled booking",
    BookingStatus.FAILED: "Cannot pay failed booking",
}


@dataclass
class Booking:
    """A buyer's request for 1–4 seats of one subsection, and what became of it."""

    id: UUID
    buyer_id: int
    event_id: int
    section: str
    subsection: int
    quantity: int
    seat_selection_mode: SeatSelectionMode
    seat_positions: list[str]
    total_price: int
    status: BookingStatus
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None = None
    failure_reason: str | None = None
    publish_attempts: int = 1
    tickets: list[dict] = field(default_factory=list)
    event: dict | None = None
    buyer: dict | None = None


def check_seat_request(
    mode: SeatSelectionMode, quantity: int, positions: list[str], config: SeatingConfig
) -> list[tuple[int, int]]:
    """Booking PRD §3 rules 1–3; returns the (row, seat) pairs asked for (empty for best
    available). Raises `InvalidRequest`."""
    if not MIN_SEATS <= quantity <= MAX_SEATS:
        raise InvalidRequest(f"Quantity must be between {MIN_SEATS} and {MAX_SEATS}")
    if mode is SeatSelectionMode.BEST_AVAILABLE:
        if positions:
            raise InvalidRequest("Best available mode requires seat_positions to be empty")
        return []
    if len(positions) != quantity:
        raise InvalidRequest("Manual selection requires seat_positions count to match quantity")
    seats = [parse_seat_position(p, config) for p in positions]
    if len(set(seats)) != len(seats):
        raise InvalidRequest("Duplicate seat positions")
    return seats


def check_can_cancel(status: BookingStatus) -> None:
    """Only processing and pending_payment bookings can be cancelled (PRD §3 rule 5)."""
    if status not in CANCELLABLE:
        raise InvalidRequest(_CANCEL_REFUSALS[status])


def check_can_pay(status: BookingStatus) -> None:
    """Only pending_payment bookings can be paid (PRD §3 rule 5)."""
    if status is not BookingStatus.PENDING_PAYMENT:
        raise InvalidRequest(_PAY_REFUSALS[status])
