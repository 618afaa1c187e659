"""What the batch use cases share: the batch's values and the helpers both steps use.

A batch is settled in two steps, `AllocateBatch` (the seat map, healed by `HealBatch`) then
`RecordBatch` (PostgreSQL and pub/sub); the consumer overlaps the first step of one batch with
the second of the previous one (spec/architecture.md, guarantees 5 and 7).
"""

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from src.service.contract import BookingCancelled, BookingCreated
from src.service.reservation.application.ports import (
    UNCHECKED,
    SeatMap,
    Settlement,
    SubsectionId,
)
from src.service.reservation.domain.allocation import Allocation
from src.service.reservation.domain.reasons import (
    FAILURE_REASONS,
    NOT_PROCESSED,
    WAS_CANCELLED,
)
from src.service.seats import SeatPosition

Command = BookingCreated | BookingCancelled
Outcome = tuple[BookingCreated, Allocation]

# Every seat of every batch goes through `SeatPosition.at`, the consumer's hottest per-seat
# call; a venue's positions repeat from batch to batch, so each is made once (about 5× faster).
_position_at = functools.lru_cache(maxsize=1 << 14)(SeatPosition.at)


@dataclass(frozen=True)
class Allocated:
    """A batch after its seat-map step: the last outcome per booking, releases done, and the
    generation each checked subsection's map reached. Subsections in `stale` (with the
    generation their map answered) were left alone: their commands have no outcome yet."""

    size: int
    outcomes: dict[UUID, Outcome]
    cancelled: int
    reached: dict[SubsectionId, int] = field(default_factory=dict)
    stale: dict[SubsectionId, int] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchReport:
    """Counts for the `batch_settled` log line."""

    size: int
    allocated: int
    failed: int
    released: int


def where(command: Command) -> SubsectionId:
    """The subsection a command is about."""
    return SubsectionId(command.event_id, command.section, command.subsection)


def by_subsection(commands: Sequence[Command]) -> dict[SubsectionId, list[list[Command]]]:
    """Commands grouped by subsection (first-seen order), each group split into same-type runs
    (spec/architecture.md, guarantee 4)."""
    groups: dict[SubsectionId, list[Command]] = {}
    for command in commands:
        groups.setdefault(where(command), []).append(command)
    return {i: [list(run) for _, run in itertools.groupby(g, key=type)] for i, g in groups.items()}


def merged(first: Allocated, again: Allocated) -> Allocated:
    """`first` with the subsections it left stale allocated by `again`."""
    return Allocated(
        size=first.size, outcomes={**first.outcomes, **again.outcomes},
        cancelled=first.cancelled + again.cancelled, reached={**first.reached, **again.reached},
        stale=again.stale,
    )


async def release_all(seat_map: SeatMap, commands: Sequence[Command]) -> None:
    """Release the seats of the bookings of `commands`, in one round trip, unchecked: these are
    bookings PostgreSQL holds nothing for and never will (final, or unknown), so freeing what
    the map recorded for them is right whatever generation the map is at."""
    groups = by_subsection(commands)
    if groups:
        calls = [(i.tag, [c.booking_id for run in runs for c in run]) for i, runs in groups.items()]
        await seat_map.release_many(calls, [UNCHECKED] * len(calls))


def released_bits(command: Command) -> tuple[int, ...] | None:
    """The bit indexes a command frees: None for every bit its booking holds, else the bits of
    a partial release's seats (positions that are not seats free nothing)."""
    if not isinstance(command, BookingCancelled) or command.only is None:
        return None
    cols, found = command.only.cols, []
    for text in command.only.seat_positions:
        try:
            position = SeatPosition.parse(text)
        except ValueError:
            continue
        if 1 <= position.seat <= cols:
            found.append(position.index(cols))
    return tuple(found)


def settlement(command: BookingCreated, allocation: Allocation) -> Settlement:
    """What PostgreSQL should record for a command, given the seat map's answer: its seats
    (`hold`) when it holds some, else the reason it got none (`refuse`), always one of the
    buyer-readable reasons (spec/booking.md, "Failure reasons")."""
    held = allocation.holds_seats
    cols = command.config.cols
    reason = allocation.reason or WAS_CANCELLED
    return Settlement(
        booking_id=command.booking_id,
        event_id=command.event_id,
        section=command.section,
        subsection=command.subsection,
        seat_positions=tuple(_position_at(i, cols) for i in allocation.seats) if held else (),
        total_price=command.total_price,
        failure_reason=None if held else (reason if reason in FAILURE_REASONS else NOT_PROCESSED),
    )
