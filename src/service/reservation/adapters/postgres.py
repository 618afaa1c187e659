"""PostgreSQL adapter: settles a whole batch set-wise (`unnest` arrays) in one transaction.

Every state change is a compare-and-set on the expected status of a `lifecycle` transition
(`hold` or `refuse`) and the rows changed are checked (spec/architecture.md, guarantee 2 and
"Lifecycle"). Seat positions become the `"row-seat"` text of the `text[]` columns here.
"""

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from uuid import UUID

import asyncpg

from src.service.contract import SubsectionState
from src.service.lifecycle import BookingStatus
from src.service.reservation.adapters import queries as q
from src.service.reservation.application.ports import (
    BookingState,
    LedgerResult,
    SeatConflict,
    Settlement,
    Snapshot,
    Unavailable,
)
from src.service.seats import SeatPosition, parse_all

_TRANSIENT = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    OSError,
)


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except _TRANSIENT as e:
        raise Unavailable(f"postgres: {e!r}") from e


_STATUSES: dict[str, BookingStatus] = {s.value: s for s in BookingStatus}


def _state(
    row: asyncpg.Record, changed: bool, positions: tuple[SeatPosition, ...] = ()
) -> BookingState:
    """The booking of `row`; `positions`, when given, are what the row's seat_positions hold
    (the settlement just written), so they need not be parsed back."""
    return BookingState(
        booking_id=row["id"],
        buyer_id=row["buyer_id"],
        event_id=row["event_id"],
        status=_STATUSES[row["status"]],
        seat_positions=positions or parse_all(row["seat_positions"]),
        total_price=row["total_price"],
        failure_reason=row["failure_reason"],
        changed=changed,
    )


class PostgresBookingLedger:
    """Bookings, tickets and subsection stats in PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def settle(self, settlements: Sequence[Settlement]) -> LedgerResult:
        """Take each booking its settlement's transition, reserve the tickets of those held and
        count them, atomically; raises `SeatConflict` when a ticket is not available."""
        if not settlements:
            return LedgerResult({})
        with _translated():
            async with self._pool.acquire() as conn, conn.transaction():
                moved = await _move_bookings(conn, settlements)
                held = [s for s in settlements if s.booking_id in moved and s.seat_positions]
                await _reserve_tickets(conn, held)
                counts = await _count(conn, held)
                others = [s.booking_id for s in settlements if s.booking_id not in moved]
                rows = await conn.fetch(q.BOOKINGS, others) if others else []
        states = {r["id"]: _state(r, False) for r in rows}
        written = {s.booking_id: s.seat_positions for s in settlements}
        states.update((i, _state(r, True, written[i])) for i, r in moved.items())
        return LedgerResult(states, counts)

    async def snapshots(self, event_id: int | None = None) -> list[Snapshot]:
        """Seat state of every subsection (of one event, or all) from the tickets table."""
        with _translated():
            async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
                subsections = await conn.fetch(q.SUBSECTIONS, event_id)
                held = await conn.fetch(q.HELD_SEATS, event_id)
                released = await conn.fetch(q.CANCELLED_BOOKINGS, event_id)
        return q.snapshots(subsections, held, released)


async def _move_bookings(
    conn: asyncpg.Connection, items: Sequence[Settlement]
) -> dict[UUID, asyncpg.Record]:
    rows = await conn.fetch(
        q.MOVE_BOOKINGS,
        [s.booking_id for s in items],
        [str(s.transition.target) for s in items],
        [",".join(map(str, s.seat_positions)) for s in items],
        [s.total_price for s in items],
        [s.failure_reason for s in items],
    )
    return {r["id"]: r for r in rows}


async def _reserve_tickets(conn: asyncpg.Connection, held: Sequence[Settlement]) -> None:
    seats = [(s, p) for s in held for p in s.seat_positions]
    if not seats:
        return
    status = await conn.execute(
        q.RESERVE_TICKETS,
        [s.booking_id for s, _ in seats],
        [s.event_id for s, _ in seats],
        [s.section for s, _ in seats],
        [s.subsection for s, _ in seats],
        [p.row for _, p in seats],
        [p.seat for _, p in seats],
    )
    reserved = int(status.split()[-1])
    if reserved != len(seats):
        raise SeatConflict(f"reserved {reserved} of {len(seats)} tickets: some were not available")


async def _count(conn: asyncpg.Connection, held: Sequence[Settlement]) -> list[SubsectionState]:
    per: Counter[tuple[int, str, int]] = Counter()
    for s in held:
        per[s.event_id, s.section, s.subsection] += len(s.seat_positions)
    if not per:
        return []
    keys = list(per)
    rows = await conn.fetch(
        q.COUNT_RESERVED,
        [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys], [per[k] for k in keys],
    )
    if len(rows) != len(keys):
        raise SeatConflict(f"subsection stats missing for {len(keys) - len(rows)} subsections")
    return [SubsectionState(**dict(r)) for r in rows]
