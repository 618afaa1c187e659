"""Use case: settle one batch of booking commands (DESIGN.md §3, guarantees 2, 3 and 5).

Commands are grouped by subsection, keeping their order; each run of consecutive
BookingCreated of a group is one atomic allocate call, each run of BookingCancelled one
release. The whole batch is then written in ONE PostgreSQL transaction of compare-and-sets.
Seats the record does not back (the booking was cancelled or failed meanwhile, or is unknown)
are released at once. Every booking found is then published with its current status, also when
an earlier delivery already settled it, so a redelivery after a crash still notifies the buyer.
The caller commits Kafka offsets only after this returns.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from src.service.contract import (
    BookingCancelled,
    BookingCreated,
    seat_index,
    seat_position,
    subsection_tag,
)
from src.service.reservation.application.ports import (
    BookingLedger,
    BookingState,
    SeatMap,
    Settlement,
    StatusPublisher,
    Subsection,
)
from src.service.reservation.domain.allocation import CANCELLED, Allocation, SeatRequest

Command = BookingCreated | BookingCancelled
HOLDING = frozenset({"pending_payment", "completed"})
Outcome = tuple[BookingCreated, Allocation]


@dataclass(frozen=True)
class BatchReport:
    """Counts for the `batch_settled` log line."""

    size: int
    allocated: int
    failed: int
    released: int


@dataclass(frozen=True)
class Allocated:
    """A batch after its seat-map step: the last outcome per booking, releases done."""

    size: int
    outcomes: dict[UUID, Outcome]
    cancelled: int


class SettleBatch:
    """Settle a batch of commands: allocate or release seats, record them, publish outcomes.

    Two steps, `allocate` (seat map) then `record` (PostgreSQL, publish); calling the object
    runs both. The consumer may overlap `allocate` of one batch with `record` of the previous:
    every step is idempotent and commands of one subsection still reach the seat map in order.
    """

    def __init__(self, seat_map: SeatMap, ledger: BookingLedger, publisher: StatusPublisher):
        self._seat_map, self._ledger, self._publisher = seat_map, ledger, publisher

    async def __call__(self, commands: Sequence[Command]) -> BatchReport:
        return await self.record(await self.allocate(commands))

    async def allocate(self, commands: Sequence[Command]) -> Allocated:
        """Run the batch against the seat map (allocations and releases)."""
        outcomes, cancelled = await self._apply(commands)
        return Allocated(len(commands), outcomes, cancelled)

    async def record(self, allocated: Allocated) -> BatchReport:
        """Write the outcomes to PostgreSQL in one transaction, release seats it does not back,
        and publish every booking's status."""
        outcomes, cancelled = allocated.outcomes, allocated.cancelled
        result = await self._ledger.settle([settlement(c, a) for c, a in outcomes.values()])
        found = result.bookings
        stray = [c for c, a in outcomes.values() if not backed(a, found.get(c.booking_id))]
        await release_all(self._seat_map, stray)
        states = [result.bookings[i] for i in outcomes if i in result.bookings]
        await self._publisher.publish(states, result.subsections)
        changed = [s for s in states if s.changed]
        return BatchReport(
            size=allocated.size,
            allocated=sum(s.status == "pending_payment" for s in changed),
            failed=sum(s.status == "failed" for s in changed),
            released=cancelled + len(stray),
        )

    async def _apply(self, commands: Sequence[Command]) -> tuple[dict[UUID, Outcome], int]:
        """Run the commands against the seat map; returns the last outcome per booking.

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
            creates = [run for run in present if isinstance(run[0], BookingCreated)]
            releases = [run for run in present if isinstance(run[0], BookingCancelled)]
            groups = await self._seat_map.allocate_many(
                [(subsection_of(run[0]), [request(c) for c in run]) for run in creates]
            ) if creates else []
            await release_all(self._seat_map, [c for run in releases for c in run])
            cancelled += sum(len(run) for run in releases)
            for run, group in zip(creates, groups, strict=True):
                # A later answer for the same booking supersedes an earlier one (redelivery).
                outcomes.update((c.booking_id, (c, a))
                                for c, a in zip(run, group.allocations, strict=True))
        return outcomes, cancelled


def runs(commands: Sequence[Command]) -> list[tuple[str, list[Command]]]:
    """Commands grouped by subsection tag (first-seen order), split into same-type runs."""
    groups: dict[str, list[Command]] = {}
    for command in commands:
        tag = subsection_tag(command.event_id, command.section, command.subsection)
        groups.setdefault(tag, []).append(command)
    return [
        (tag, list(run))
        for tag, group in groups.items()
        for _, run in itertools.groupby(group, key=type)
    ]


def subsection_of(command: BookingCreated) -> Subsection:
    """The subsection a BookingCreated targets, with the shape it carries."""
    rows, cols = command.config.rows, command.config.cols
    return Subsection(command.event_id, command.section, command.subsection, rows, cols)


def request(command: BookingCreated) -> SeatRequest:
    """The seat-map request of a command; unparsable or outside positions become -1."""
    rows, cols = command.config.rows, command.config.cols
    seats = tuple(position_index(p, rows, cols) for p in command.seat_positions)
    return SeatRequest(command.booking_id, command.seat_selection_mode, command.quantity, seats)


def position_index(position: str, rows: int, cols: int) -> int:
    """Bit index of a `"row-seat"` position, or -1 when it is not a seat of the subsection."""
    try:
        row, seat = (int(part) for part in position.split("-"))
    except ValueError:
        return -1
    return seat_index(position, cols) if 1 <= row <= rows and 1 <= seat <= cols else -1


def settlement(command: BookingCreated, allocation: Allocation) -> Settlement:
    """What PostgreSQL should record for a command, given the seat map's answer."""
    held = allocation.holds_seats
    return Settlement(
        booking_id=command.booking_id,
        event_id=command.event_id,
        section=command.section,
        subsection=command.subsection,
        seat_positions=(
            tuple(seat_position(i, command.config.cols) for i in allocation.seats) if held else ()
        ),
        total_price=command.total_price,
        failure_reason=None if held else (allocation.reason or CANCELLED),
    )


def backed(allocation: Allocation, state: BookingState | None) -> bool:
    """True unless the allocation holds seats that PostgreSQL does not give the booking."""
    if not allocation.holds_seats:
        return True
    if state is None:
        return False
    return state.changed or (allocation.status == "replayed" and state.status in HOLDING)


async def release_all(seat_map: SeatMap, commands: Sequence[Command]) -> None:
    """Release the seats of the bookings of `commands`, one call per subsection."""
    for tag, run in runs(commands):
        await seat_map.release(tag, [c.booking_id for c in run])

