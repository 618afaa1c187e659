"""Use case: rebuild seat maps from PostgreSQL (spec/architecture.md, guarantee 7).

Safe while the consumers run. Each rebuild reads the subsections' state in one REPEATABLE READ
transaction that also moves their `seat_map_gen` on by one, and writes bits, allocations,
counter, cursor and generation of each subsection atomically. A consumer's batch allocated on
the map before it then fails its compare-and-set on `seat_map_gen` and is settled again; a
consumer's next call finds the map at a generation it did not expect, re-reads PostgreSQL's,
and goes on.
"""

from collections.abc import Sequence

from src.service.reservation.application.ports import BookingLedger, SeatMap, SubsectionId

# Subsections per transaction when a whole event (or every event) is rebuilt.
CHUNK = 200


class RebuildSeatMaps:
    """Rewrite bits, counters, allocations and generations of subsections from the tickets."""

    def __init__(self, seat_map: SeatMap, ledger: BookingLedger):
        self._seat_map, self._ledger = seat_map, ledger

    async def __call__(
        self, ids: Sequence[SubsectionId] | None = None, event_id: int | None = None
    ) -> dict[SubsectionId, int]:
        """Rebuild `ids` (by default every subsection of `event_id`, or of every event);
        returns the generation each rebuilt subsection is at now."""
        if ids is None:
            ids = await self._ledger.subsections(event_id)
        rebuilt: dict[SubsectionId, int] = {}
        for first in range(0, len(ids), CHUNK):
            snapshots = await self._ledger.rebuild(ids[first:first + CHUNK])
            await self._seat_map.restore(snapshots)
            rebuilt.update((s.subsection.id, s.generation) for s in snapshots)
        return rebuilt
