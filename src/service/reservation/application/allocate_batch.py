"""Use case: the seat-map step of a batch (spec/architecture.md, guarantees 2, 4 and 5).

Commands are grouped by subsection, keeping their order; each run of consecutive
BookingCreated of a group is one atomic allocate call, each run of BookingCancelled one
release. Every step is idempotent (guarantee 3): a redelivered command gets the allocation
recorded the first time, a released booking's tombstone blocks a late allocation.
"""

import itertools
from collections.abc import Sequence
from typing import cast
from uuid import UUID

from src.service.contract import BookingCancelled, BookingCreated
from src.service.reservation.application.batches import (
    Allocated,
    Command,
    Outcome,
    release_all,
    runs,
)
from src.service.reservation.application.ports import SeatMap, Subsection
from src.service.reservation.domain.allocation import SeatRequest
from src.service.seats import SeatPosition


class AllocateBatch:
    """Run a batch against the seat map: allocations and releases."""

    def __init__(self, seat_map: SeatMap):
        self._seat_map = seat_map

    async def __call__(self, commands: Sequence[Command]) -> Allocated:
        """Allocate and release seats; returns the last outcome per booking.

        Subsections are independent, so the k-th run of every subsection goes in one round:
        its allocations in one `allocate_many` round trip, its releases alongside. Within a
        subsection, runs keep their order (round k+1 starts after round k has answered).
        """
        per_tag: dict[str, list[list[Command]]] = {}
        for tag, run in runs(commands):
            per_tag.setdefault(tag, []).append(run)
        outcomes: dict[UUID, Outcome] = {}
        cancelled = 0
        for round_runs in itertools.zip_longest(*per_tag.values()):
            present = [run for run in round_runs if run is not None]
            creates = [cast(list[BookingCreated], run)
                       for run in present if isinstance(run[0], BookingCreated)]
            releases = [run for run in present if isinstance(run[0], BookingCancelled)]
            groups = await self._seat_map.allocate_many(
                [(subsection_of(run[0]), [request(c) for c in run]) for run in creates]
            ) if creates else []
            await release_all(self._seat_map, [c for run in releases for c in run])
            cancelled += sum(len(run) for run in releases)
            for created, group in zip(creates, groups, strict=True):
                # A later answer for the same booking supersedes an earlier one (redelivery).
                outcomes.update((c.booking_id, (c, a))
                                for c, a in zip(created, group.allocations, strict=True))
        return Allocated(len(commands), outcomes, cancelled)


def subsection_of(command: BookingCreated) -> Subsection:
    """The subsection a BookingCreated targets, with the shape it carries."""
    rows, cols = command.config.rows, command.config.cols
    return Subsection(command.event_id, command.section, command.subsection, rows, cols)


def request(command: BookingCreated) -> SeatRequest:
    """The seat-map request of a BookingCreated; positions that are not seats become -1."""
    rows, cols = command.config.rows, command.config.cols
    seats = tuple(position_index(p, rows, cols) for p in command.seat_positions)
    return SeatRequest(command.booking_id, command.seat_selection_mode, command.quantity, seats)


def position_index(text: str, rows: int, cols: int) -> int:
    """Bit index of a `"row-seat"` position, or -1 when it is not a seat of the subsection."""
    try:
        position = SeatPosition.parse(text)
    except ValueError:
        return -1
    return position.index(cols) if position.inside(rows, cols) else -1
