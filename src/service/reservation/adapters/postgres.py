"""PostgreSQL adapter: settles a whole batch set-wise (`unnest` arrays) in one transaction.

Every state change is a compare-and-set on the expected status and the rows changed are
checked (DESIGN.md §3, guarantee 2).
"""

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from uuid import UUID

import asyncpg

from src.service.contract import SubsectionState
from src.service.reservation.adapters import queries as q
from src.service.reservation.application.ports import (
    BookingState,
    LedgerResult,
    SeatConflict,
    Settlement,
    Snapshot,
    Unavailable,
)

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


def _state(row: asyncpg.Record, changed: bool) -> BookingState:
    return BookingState(
        booking_id=row["id"],
        buyer_id=row["buyer_id"],
        event_id=row["event_id"],
        status=row["status"],
        seat_positions=tuple(row["seat_positions"]),
        total_price=row["total_price"],
        failure_reason=row["failure_reason"],
        changed=changed,
    )


class PostgresBookingLedger:
    """Bookings, tickets and subsection stats in PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def settle(self, settlements: Sequence[Settlement]) -> LedgerResult:
        """Settle `processing` bookings, reserve their tickets and count them, atomically."""
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
        states.update((i, _state(r, True)) for i, r in moved.items())
        return LedgerResult(states, counts)

    async def fail(self, booking_id: UUID, reason: str) -> BookingState | None:
        """Mark a `processing` booking failed; returns its state after the CAS."""
        with _translated():
            async with self._pool.acquire() as conn:
                changed = await conn.fetchval(q.FAIL_BOOKING, booking_id, reason)
                row = await conn.fetchrow(q.BOOKINGS, [booking_id])
        return None if row is None else _state(row, changed is not None)

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
        ["pending_payment" if s.seat_positions else "failed" for s in items],
        [",".join(s.seat_positions) for s in items],
        [s.total_price for s in items],
        [s.failure_reason for s in items],
    )
    return {r["id"]: r for r in rows}


async def _reserve_tickets(conn: asyncpg.Connection, held: Sequence[Settlement]) -> None:
    seats = [(s, *map(int, p.split("-"))) for s in held for p in s.seat_positions]
    if not seats:
        return
    status = await conn.execute(
        q.RESERVE_TICKETS,
        [s.booking_id for s, _, _ in seats],
        [s.event_id for s, _, _ in seats],
        [s.section for s, _, _ in seats],
        [s.subsection for s, _, _ in seats],
        [row for _, row, _ in seats],
        [seat for _, _, seat in seats],
    )
    reserved = int(status.split()[-1])
    if reserved != len(seats):
        raise SeatConflict(f"reserved {reserved} of {len(seats)} tickets: some were not available")


async def _count(conn: asyncpg.Connection, held: Sequence[Settlement]) -> list[SubsectionState]:
    per = Counter((s.event_id, s.section, s.subsection) for s in held for _ in s.seat_positions)
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
