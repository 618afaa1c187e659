"""What the seat map is asked for and what it answers, one entry per booking."""

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

AllocationStatus = Literal["allocated", "replayed", "failed", "cancelled"]

# Failure reasons, identical in `adapters/allocate.lua` and stored in bookings.failure_reason.
NOT_ENOUGH_SEATS = "not enough seats available"
SEATS_TAKEN = "requested seats are not available"
INVALID_SEATS = "invalid seat selection"
CANCELLED = "booking was cancelled"


@dataclass(frozen=True)
class SeatRequest:
    """One booking's ask: `quantity` seats picked by the system, or the listed bit indexes.

    An index of -1 stands for a position that could not be parsed; it always fails.
    """

    booking_id: UUID
    mode: Literal["manual", "best_available"]
    quantity: int
    seats: tuple[int, ...] = ()


@dataclass(frozen=True)
class Allocation:
    """The seat map's answer for one booking.

    `allocated`: seats newly held; `replayed`: seats recorded by an earlier delivery;
    `failed`: nothing held, see `reason`; `cancelled`: the booking was released before, so
    nothing was held.
    """

    booking_id: UUID
    status: AllocationStatus
    seats: tuple[int, ...] = ()
    reason: str | None = None

    @property
    def holds_seats(self) -> bool:
        """True when the booking owns bits in the seat map after this call."""
        return self.status in ("allocated", "replayed")
