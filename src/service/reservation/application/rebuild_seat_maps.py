"""Use case: rebuild the seat map from PostgreSQL (spec/architecture.md, guarantee 7).

Run it with the reservation consumers stopped: each subsection is replaced atomically, but a
batch settling between the PostgreSQL read and the replacement would be overwritten.
"""

from src.service.reservation.application.ports import BookingLedger, SeatMap


class RebuildSeatMaps:
    """Rewrite bits, free-seat counters and allocations of every subsection from the tickets."""

    def __init__(self, seat_map: SeatMap, ledger: BookingLedger):
        self._seat_map, self._ledger = seat_map, ledger

    async def __call__(self, event_id: int | None = None) -> int:
        """Rebuild every subsection (of one event, or all); returns how many were rebuilt."""
        snapshots = await self._ledger.snapshots(event_id)
        for snapshot in snapshots:
            await self._seat_map.restore(snapshot)
        return len(snapshots)
