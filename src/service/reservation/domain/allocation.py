"""What the seat map is asked for and what it answers, one entry per booking.

The outcome words are the seat map's own (`adapters/allocate.lua` returns them); they are not
booking statuses. What an outcome does to the booking is `record_batch`'s business: seats held
take it through `hold`, anything else through `refuse` (spec/architecture.md, "Lifecycle").
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal
from uuid import UUID


class AllocationStatus(StrEnum):
    """How the seat map answered one booking."""

    ALLOCATED = "allocated"  # seats newly held
    REPLAYED = "replayed"  # seats recorded by an earlier delivery (spec/architecture.md, g. 3)
    REFUSED = "refused"  # nothing held: not enough seats, seats taken or an invalid selection
    RELEASED = "released"  # nothing held: the booking was released before (its tombstone)


HOLDS_SEATS: frozenset[AllocationStatus] = frozenset(
    {AllocationStatus.ALLOCATED, AllocationStatus.REPLAYED}
)


@dataclass(frozen=True)
class SeatRequest:
    """One booking's ask: `quantity` seats picked by the system, or the listed bit indexes.

    An index of -1 stands for a position that is not a seat of the subsection; it always fails.
    """

    booking_id: UUID
    mode: Literal["manual", "best_available"]
    quantity: int
    seats: tuple[int, ...] = ()


@dataclass(frozen=True)
class Allocation:
    """The seat map's answer for one booking: its outcome, the bit indexes it holds (when the
    outcome holds seats), else the reason nothing was held."""

    booking_id: UUID
    status: AllocationStatus
    seats: tuple[int, ...] = ()
    reason: str | None = None

    @property
    def holds_seats(self) -> bool:
        """True when the booking owns bits in the seat map after this call."""
        return self.status in HOLDS_SEATS
