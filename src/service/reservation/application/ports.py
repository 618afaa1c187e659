"""Ports of the reservation service and the data crossing them.

Seats cross every port as `SeatPosition` values or bit indexes; the `"row-seat"` text exists
only inside the adapters (spec/architecture.md, "Kvrocks rules").
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from src.service.contract import SubsectionState, subsection_tag
from src.service.lifecycle import HOLD, REFUSE, BookingStatus, Transition
from src.service.reservation.domain.allocation import Allocation, SeatRequest
from src.service.seats import SeatPosition


class Unavailable(Exception):
    """A dependency is unreachable for now; the same batch should be retried later."""


class SeatConflict(Exception):
    """PostgreSQL disagrees with the seat map: a seat to reserve was not available there."""


@dataclass(frozen=True)
class Subsection:
    """Identity and shape of one subsection; `tag` is its Kafka key and Kvrocks hash tag."""

    event_id: int
    section: str
    subsection: int
    rows: int
    cols: int

    @property
    def tag(self) -> str:
        """`"{event}:{section}:{subsection}"` (spec/architecture.md, guarantee 4)."""
        return subsection_tag(self.event_id, self.section, self.subsection)


@dataclass(frozen=True)
class GroupAllocation:
    """Answers of one allocate call, in request order, and the subsection's free-seat counter."""

    allocations: list[Allocation]
    available: int


@dataclass(frozen=True)
class Settlement:
    """What to write for one booking: seats held (`hold`) or a failure reason (`refuse`)."""

    booking_id: UUID
    event_id: int
    section: str
    subsection: int
    seat_positions: tuple[SeatPosition, ...]
    total_price: int
    failure_reason: str | None = None

    @property
    def transition(self) -> Transition:
        """HOLD when the booking got seats, else REFUSE (spec/architecture.md, "Lifecycle")."""
        return HOLD if self.seat_positions else REFUSE


@dataclass(frozen=True)
class BookingState:
    """A booking as PostgreSQL has it after the batch; `changed` when this batch settled it."""

    booking_id: UUID
    buyer_id: int
    event_id: int
    status: BookingStatus
    seat_positions: tuple[SeatPosition, ...]
    total_price: int
    failure_reason: str | None
    changed: bool


@dataclass(frozen=True)
class LedgerResult:
    """Every booking of the batch found in PostgreSQL, and new counts of touched subsections."""

    bookings: dict[UUID, BookingState]
    subsections: list[SubsectionState] = field(default_factory=list)


@dataclass(frozen=True)
class Snapshot:
    """Seat state of one subsection as PostgreSQL knows it, to rebuild the seat map from."""

    subsection: Subsection
    available: int
    holdings: dict[UUID, tuple[int, ...]]
    released: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class DeadLetter:
    """A message that cannot be handled, with where it came from and why."""

    key: bytes | None
    value: bytes | None
    reason: str
    source: str


class SeatMap(Protocol):
    """Seat bits, allocations and free-seat counters of every subsection (Kvrocks)."""

    async def allocate(self, where: Subsection, requests: Sequence[SeatRequest]) -> GroupAllocation:
        """Allocate for each request in order, atomically for the whole group."""
        ...

    async def allocate_many(
        self, groups: Sequence[tuple[Subsection, Sequence[SeatRequest]]]
    ) -> list[GroupAllocation]:
        """`allocate` for groups of distinct subsections, in one round trip; each group is
        atomic on its own and answers come in group order."""
        ...

    async def release(
        self, tag: str, booking_ids: Sequence[UUID],
        only: Sequence[tuple[int, ...] | None] | None = None,
    ) -> int:
        """Free the seats each booking holds and block its later allocation; returns seats
        freed. With `only`, the booking at the same place gives back just those bits (None
        there: all of them) and keeps the rest; one that keeps none is blocked too."""
        ...

    async def restore(self, snapshot: Snapshot) -> None:
        """Replace one subsection's seat state with `snapshot`."""
        ...


class BookingLedger(Protocol):
    """Bookings, tickets and subsection counts: the system of record (PostgreSQL)."""

    async def settle(self, settlements: Sequence[Settlement]) -> LedgerResult:
        """Take each booking its settlement's transition (compare-and-set on its guard), reserve
        the tickets of those held and count them, in ONE transaction; raises `SeatConflict` (and
        changes nothing) when a ticket to reserve is not available (spec/architecture.md,
        guarantees 2 and 5). The result holds every booking found, moved or not."""
        ...

    async def snapshots(self, event_id: int | None = None) -> list[Snapshot]:
        """Seat state of every subsection (of one event, or of all)."""
        ...


class StatusPublisher(Protocol):
    """Pub/sub towards the ticketing service's SSE streams."""

    async def publish(
        self, bookings: Sequence[BookingState], subsections: Sequence[SubsectionState]
    ) -> None:
        """Publish each booking's status (a `BookingStatusUpdate`) and the subsections' counts,
        in one round trip."""
        ...


class DeadLetters(Protocol):
    """Where messages that cannot be handled are parked."""

    async def send(self, letter: DeadLetter) -> None:
        """Store the letter durably; raises `Unavailable` when it cannot."""
        ...
