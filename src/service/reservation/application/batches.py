"""What the batch use cases share: the batch's values and the helpers both steps use.

A batch is settled in two steps, `AllocateBatch` (the seat map) then `RecordBatch`
(PostgreSQL and pub/sub); the consumer overlaps the first step of one batch with the second of
the previous one (spec/architecture.md, guarantee 5).
"""

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from src.service.contract import BookingCancelled, BookingCreated, subsection_tag
from src.service.reservation.application.ports import SeatMap, Settlement
from src.service.reservation.domain.allocation import WAS_CANCELLED, Allocation
from src.service.seats import SeatPosition

Command = BookingCreated | BookingCancelled
Outcome = tuple[BookingCreated, Allocation]

# Every seat of every batch goes through `SeatPosition.at`, the consumer's hottest per-seat
# call; a venue's positions repeat from batch to batch, so each is made once (about 5× faster).
_position_at = functools.lru_cache(maxsize=1 << 14)(SeatPosition.at)


@dataclass(frozen=True)
class Allocated:
    """A batch after its seat-map step: the last outcome per booking, releases done."""

    size: int
    outcomes: dict[UUID, Outcome]
    cancelled: int


@dataclass(frozen=True)
class BatchReport:
    """Counts for the `batch_settled` log line."""

    size: int
    allocated: int
    failed: int
    released: int


def runs(commands: Sequence[Command]) -> list[tuple[str, list[Command]]]:
    """Commands grouped by subsection tag (first-seen order), split into same-type runs
    (spec/architecture.md, guarantee 4)."""
    groups: dict[str, list[Command]] = {}
    for command in commands:
        tag = subsection_tag(command.event_id, command.section, command.subsection)
        groups.setdefault(tag, []).append(command)
    return [
        (tag, list(run))
        for tag, group in groups.items()
        for _, run in itertools.groupby(group, key=type)
    ]


async def release_all(seat_map: SeatMap, commands: Sequence[Command]) -> None:
    """Release the seats of the bookings of `commands`, one call per subsection: all a booking
    holds, or for a BookingCancelled with `only` just those seats."""
    for tag, run in runs(commands):
        ids, only = [c.booking_id for c in run], [released_bits(c) for c in run]
        if any(bits is not None for bits in only):
            await seat_map.release(tag, ids, only)
        else:  # every booking gives back all it holds: the plain call, as before refunds
            await seat_map.release(tag, ids)


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
    (`hold`) when it holds some, else the reason it got none (`refuse`)."""
    held = allocation.holds_seats
    cols = command.config.cols
    return Settlement(
        booking_id=command.booking_id,
        event_id=command.event_id,
        section=command.section,
        subsection=command.subsection,
        seat_positions=tuple(_position_at(i, cols) for i in allocation.seats) if held else (),
        total_price=command.total_price,
        failure_reason=None if held else (allocation.reason or WAS_CANCELLED),
    )
