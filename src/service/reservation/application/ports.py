"""Ports of the reservation service and the data crossing them.

Seats cross every port as `SeatPosition` values or bit indexes; the `"row-seat"` text exists
only inside the adapters (spec/architecture.md, "Kvrocks rules").
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, Protocol
from uuid import UUID

from src.service.contract import SubsectionState, subsection_tag
from src.service.lifecycle import HOLD, REFUSE, BookingStatus, Transition
from src.service.reservation.domain.allocation import Allocation, SeatRequest
from src.service.seats import SeatPosition


class Unavailable(Exception):
    """A dependency is unreachable for now; the same batch should be retried later."""


class SeatConflict(Exception):
    """PostgreSQL disagrees with the seat map: a seat to reserve was not available there."""


class StaleSeatMap(Unavailable):
    """A subsection's seat map is not at the generation expected (spec/architecture.md,
    guarantee 7): PostgreSQL's compare-and-set on `seat_map_gen` failed, or healing did not
    settle. Nothing was written; the batch is settled again after the seat map is rebuilt."""


# The generation to pass when a call must not be checked (and does not move the generation).
UNCHECKED = -1


class SubsectionId(NamedTuple):
    """Identity of one subsection, without its shape (a release does not carry one)."""

    event_id: int
    section: str
    subsection: int

    @property
    def tag(self) -> str:
        """`"{event}:{section}:{subsection}"` (spec/architecture.md, guarantee 4)."""
        return subsection_tag(self.event_id, self.section, self.subsection)


@dataclass(frozen=True)
class GenerationStep:
    """Move `subsection_stats.seat_map_gen` of `where` from `base` to `new`, if it is `base`."""

    where: SubsectionId
    base: int
    new: int


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
        return self.id.tag

    @property
    def id(self) -> SubsectionId:
        """The subsection without its shape."""
        return SubsectionId(self.event_id, self.section, self.subsection)


@dataclass(frozen=True)
class GroupAllocation:
    """Answers of one allocate call, in request order, and the subsection's free-seat counter."""

    allocations: list[Allocation]
    available: int


@dataclass(frozen=True)
class Stale:
    """The answer of a seat-map call that changed nothing: the subsection's map is at
    `generation`, not at the one expected (spec/architecture.md, guarantee 7)."""

    generation: int


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
    """A booking as PostgreSQL has it after the batch; `changed` when this batch settled it;
    `expires_at` is its payment deadline, if its event has one (spec/booking.md, rule 6)."""

    booking_id: UUID
    buyer_id: int
    event_id: int
    status: BookingStatus
    seat_positions: tuple[SeatPosition, ...]
    total_price: int
    failure_reason: str | None
    changed: bool
    expires_at: datetime | None = None


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
    generation: int = 0


@dataclass(frozen=True)
class MapState:
    """What the audit compares of one subsection: its generation and free-seat counter (None
    when there is none)."""

    generation: int
    available: int | None


@dataclass(frozen=True)
class DeadLetter:
    """A message that cannot be handled, with where it came from and why."""

    key: bytes | None
    value: bytes | None
    reason: str
    source: str


class SeatMap(Protocol):
    """Seat bits, allocations, free-seat counters and generations of every subsection (Kvrocks).

    Every call that changes a subsection takes the generation it expects the map to be at
    (`UNCHECKED` for none): at another one it changes nothing and answers stale; otherwise the
    generation moves on by one (spec/architecture.md, guarantee 7)."""

    async def allocate(
        self, where: Subsection, requests: Sequence[SeatRequest], generation: int = UNCHECKED
    ) -> GroupAllocation | Stale:
        """Allocate for each request in order, atomically for the whole group."""
        ...

    async def allocate_many(
        self, groups: Sequence[tuple[Subsection, Sequence[SeatRequest]]],
        generations: Sequence[int] | None = None,
    ) -> list[GroupAllocation | Stale]:
        """`allocate` for groups of distinct subsections, in one round trip; each group is
        atomic on its own and answers come in group order."""
        ...

    async def release(
        self, tag: str, booking_ids: Sequence[UUID], generation: int = UNCHECKED,
        only: Sequence[tuple[int, ...] | None] | None = None,
    ) -> int | Stale:
        """Free the seats each booking holds and block its later allocation; returns seats
        freed. With `only`, the booking at the same place gives back just those bits (None
        there: all of them) and keeps the rest; one that keeps none is blocked too
        (spec/tickets.md, rule 15)."""
        ...

    async def release_many(
        self, groups: Sequence[tuple[str, Sequence[UUID]]], generations: Sequence[int],
        only: Sequence[Sequence[tuple[int, ...] | None] | None] | None = None,
    ) -> list[int | Stale]:
        """`release` for groups of distinct subsections, in one round trip; `only`, when
        given, holds each group's `only` (None: every booking gives back all it holds)."""
        ...

    async def restore(self, snapshots: Sequence[Snapshot]) -> None:
        """Replace each snapshot's subsection (bits, counter, allocations, generation), each
        atomically, all in one round trip."""
        ...

    async def states(self, tags: Sequence[str]) -> list[MapState]:
        """Generation and counter of each subsection, in one round trip."""
        ...


class BookingLedger(Protocol):
    """Bookings, tickets and subsection counts: the system of record (PostgreSQL)."""

    async def settle(
        self, settlements: Sequence[Settlement], steps: Sequence[GenerationStep] = ()
    ) -> LedgerResult:
        """Take each booking its settlement's transition (compare-and-set on its guard), reserve
        the tickets of those held, count them and take each generation step, in ONE
        transaction; raises `SeatConflict` (and changes nothing) when a ticket to reserve is not
        available, `StaleSeatMap` when a step's subsection is not at its base
        (spec/architecture.md, guarantees 2, 5 and 7). The result holds every booking found,
        moved or not."""
        ...

    async def generations(self, ids: Sequence[SubsectionId]) -> dict[SubsectionId, int]:
        """`seat_map_gen` of each subsection that exists (the others are left out)."""
        ...

    async def rebuild(self, ids: Sequence[SubsectionId]) -> list[Snapshot]:
        """Move each subsection's `seat_map_gen` on by one and read its seat state, in one
        REPEATABLE READ transaction: the snapshots to restore the seat map from."""
        ...

    async def subsections(self, event_id: int | None = None) -> list[SubsectionId]:
        """Every subsection (of one event, or of all)."""
        ...

    async def audit(self) -> dict[SubsectionId, MapState]:
        """`seat_map_gen` and free seats of every subsection, in one query."""
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
