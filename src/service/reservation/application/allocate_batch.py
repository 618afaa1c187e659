"""Use case: the seat-map step of a batch (spec/architecture.md, guarantees 2, 4, 5 and 7).

Commands are grouped by subsection, keeping their order; each run of consecutive
BookingCreated of a group is one atomic allocate call, each run of BookingCancelled one
release. Every step is idempotent (guarantee 3): a redelivered command gets the allocation
recorded the first time, a released booking's tombstone blocks a late allocation.

Every call passes the generation the consumer expects the subsection's map to be at
(`Generations`); a map at another one changes nothing and answers stale, and the subsection is
left out of the batch for `HealBatch` (guarantee 7). Subsections met for the first time are
learnt from PostgreSQL in one query for the whole batch.
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
    by_subsection,
    released_bits,
    where,
)
from src.service.reservation.application.generations import Generations
from src.service.reservation.application.ports import (
    BookingLedger,
    GroupAllocation,
    SeatMap,
    Stale,
    Subsection,
    SubsectionId,
)
from src.service.reservation.domain.allocation import SeatRequest
from src.service.seats import SeatPosition


class AllocateBatch:
    """Run a batch against the seat map: allocations and releases."""

    def __init__(self, seat_map: SeatMap, ledger: BookingLedger, generations: Generations):
        self._seat_map, self._ledger, self._gens = seat_map, ledger, generations

    async def __call__(self, commands: Sequence[Command], refresh: bool = False) -> Allocated:
        """Allocate and release seats; returns the last outcome per booking.

        Subsections are independent, so the k-th run of every subsection goes in one round:
        its allocations in one `allocate_many` round trip, its releases in one `release_many`.
        Within a subsection, runs keep their order (round k+1 starts after round k has
        answered). `refresh` first forgets what is known of the batch's subsections.
        """
        groups = by_subsection(commands)
        if refresh:
            self._gens.forget(groups)
        unknown = self._gens.unknown(groups)
        if unknown:
            self._gens.learn(unknown, await self._ledger.generations(unknown))
        outcomes: dict[UUID, Outcome] = {}
        stale: dict[SubsectionId, int] = {}
        released: dict[SubsectionId, int] = {}
        for round_runs in itertools.zip_longest(*groups.values()):
            present = [run for run in round_runs if run is not None and where(run[0]) not in stale]
            await self._release([r for r in present if isinstance(r[0], BookingCancelled)],
                                stale, released)
            creates = [cast(list[BookingCreated], r)
                       for r in present if isinstance(r[0], BookingCreated)]
            for created, group in await self._allocate(creates, stale):
                # A later answer for the same booking supersedes an earlier one (redelivery).
                outcomes.update((c.booking_id, (c, a))
                                for c, a in zip(created, group.allocations, strict=True))
        return self._allocated(len(commands), groups, outcomes, stale, released)

    def _allocated(
        self, size: int, groups: dict[SubsectionId, list[list[Command]]],
        outcomes: dict[UUID, Outcome], stale: dict[SubsectionId, int],
        released: dict[SubsectionId, int],
    ) -> Allocated:
        fine = [i for i in groups if i not in stale]
        return Allocated(
            size=size,
            outcomes={b: o for b, o in outcomes.items() if where(o[0]) not in stale},
            cancelled=sum(released.get(i, 0) for i in fine),
            reached={i: self._gens.expect(i) for i in fine if self._gens.expect(i) >= 0},
            stale=stale,
        )

    async def _allocate(
        self, runs: list[list[BookingCreated]], stale: dict[SubsectionId, int]
    ) -> list[tuple[list[BookingCreated], GroupAllocation]]:
        if not runs:
            return []
        ids = [where(run[0]) for run in runs]
        answers = await self._seat_map.allocate_many(
            [(subsection_of(run[0]), [request(c) for c in run]) for run in runs],
            [self._gens.expect(i) for i in ids],
        )
        done = []
        for run, i, answer in zip(runs, ids, answers, strict=True):
            if isinstance(answer, Stale):
                stale[i] = answer.generation
            else:
                self._gens.advance(i)
                done.append((run, answer))
        return done

    async def _release(
        self, runs: list[list[Command]], stale: dict[SubsectionId, int],
        released: dict[SubsectionId, int],
    ) -> None:
        if not runs:
            return
        ids = [where(run[0]) for run in runs]
        # A refund gives back only some seats of its booking (spec/tickets.md, rule 15).
        only = [[released_bits(c) for c in run] for run in runs]
        answers = await self._seat_map.release_many(
            [(i.tag, [c.booking_id for c in run]) for i, run in zip(ids, runs, strict=True)],
            [self._gens.expect(i) for i in ids],
            only if any(b is not None for bits in only for b in bits) else None,
        )
        for run, i, answer in zip(runs, ids, answers, strict=True):
            if isinstance(answer, Stale):
                stale[i] = answer.generation
            else:
                self._gens.advance(i)
                released[i] = released.get(i, 0) + len(run)


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
