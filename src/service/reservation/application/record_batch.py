"""Use case: the record step of a batch (spec/architecture.md, guarantees 2, 3, 5 and 6).

The whole batch is written in ONE PostgreSQL transaction of compare-and-sets: each booking
still `processing` takes `hold` (seats, tickets reserved, subsection counts) or `refuse`
(spec/architecture.md, "Lifecycle"). Seats the record does not back (the booking was cancelled
or failed meanwhile, or is unknown) are released at once. Every booking found is then
published with its current status, also when an earlier delivery already settled it, so a
redelivery after a crash still notifies the buyer. The caller commits Kafka offsets only after
this returns.

The same transaction brings each subsection's `seat_map_gen` to where the batch's calls left the
seat map, a compare-and-set on the generation the consumer last recorded (`StaleSeatMap` when
another writer moved it: guarantee 7).
"""

from src.service.lifecycle import HOLD, HOLDING, REFUSE
from src.service.reservation.application.batches import (
    Allocated,
    BatchReport,
    release_all,
    settlement,
)
from src.service.reservation.application.generations import Generations
from src.service.reservation.application.ports import (
    BookingLedger,
    BookingState,
    SeatMap,
    StatusPublisher,
)
from src.service.reservation.domain.allocation import Allocation, AllocationStatus


class RecordBatch:
    """Record a batch's outcomes in PostgreSQL, release seats it does not back, publish."""

    def __init__(
        self, seat_map: SeatMap, ledger: BookingLedger, publisher: StatusPublisher,
        generations: Generations,
    ):
        self._seat_map, self._ledger, self._publisher = seat_map, ledger, publisher
        self._gens = generations

    async def __call__(self, allocated: Allocated) -> BatchReport:
        """Settle every outcome in one transaction, release stray seats, publish every
        booking's status and the new counts of the subsections touched."""
        outcomes = allocated.outcomes
        steps = self._gens.steps(allocated.reached)
        result = await self._ledger.settle([settlement(c, a) for c, a in outcomes.values()], steps)
        self._gens.recorded(steps)
        found = result.bookings
        stray = [c for c, a in outcomes.values() if not backed(a, found.get(c.booking_id))]
        await release_all(self._seat_map, stray)
        states = [found[i] for i in outcomes if i in found]
        await self._publisher.publish(states, result.subsections)
        changed = [s for s in states if s.changed]
        return BatchReport(
            size=allocated.size,
            allocated=sum(s.status == HOLD.target for s in changed),
            failed=sum(s.status == REFUSE.target for s in changed),
            released=allocated.cancelled + len(stray),
        )


def backed(allocation: Allocation, state: BookingState | None) -> bool:
    """True unless the allocation holds seats that PostgreSQL does not give the booking."""
    if not allocation.holds_seats:
        return True
    if state is None:
        return False
    return state.changed or (
        allocation.status == AllocationStatus.REPLAYED and state.status in HOLDING
    )
