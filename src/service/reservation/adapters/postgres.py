"""PostgreSQL adapter: settles a whole batch set-wise (`unnest` arrays) in one transaction.

Every state change is a compare-and-set on the expected status of a `lifecycle` transition
(`hold` or `refuse`), or on the expected `seat_map_gen` of a subsection, and the rows changed
are checked (spec/architecture.md, guarantees 2 and 7, "Lifecycle"). Seat positions become the
`"row-seat"` text of the `text[]` columns here.
"""

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from uuid import UUID

import asyncpg

from src.service.contract import SubsectionState
from src.service.lifecycle import FINAL, HOLDING, BookingStatus, values
from src.service.reservation.adapters import queries as q
from src.service.reservation.application.ports import (
    UNCHECKED,
    BookingState,
    GenerationStep,
    LedgerResult,
    MapState,
    SeatConflict,
    Settlement,
    Snapshot,
    StaleSeatMap,
    SubsectionId,
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
# Bookings that ended without seats: each leaves a tombstone in a rebuilt seat map.
_RELEASED = values(FINAL - HOLDING)
_REBUILD_TRIES = 3
_CONCURRENT = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)


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
        expires_at=row["expires_at"],
    )


class PostgresBookingLedger:
    """Bookings, tickets and subsection stats in PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def settle(
        self, settlements: Sequence[Settlement], steps: Sequence[GenerationStep] = ()
    ) -> LedgerResult:
        """Take each booking its settlement's transition, reserve the tickets of those held,
        count them and take the generation steps, atomically; raises `SeatConflict` when a
        ticket is not available, `StaleSeatMap` when a subsection is not at its step's base."""
        if not settlements and not steps:
            return LedgerResult({})
        with _translated():
            async with self._pool.acquire() as conn, conn.transaction():
                moved = await _move_bookings(conn, settlements) if settlements else {}
                held = [s for s in settlements if s.booking_id in moved and s.seat_positions]
                await _reserve_tickets(conn, held)
                counts = await _settle_subsections(conn, held, steps)
                others = [s.booking_id for s in settlements if s.booking_id not in moved]
                rows = await conn.fetch(q.BOOKINGS, others) if others else []
        states = {r["id"]: _state(r, False) for r in rows}
        written = {s.booking_id: s.seat_positions for s in settlements}
        states.update((i, _state(r, True, written[i])) for i, r in moved.items())
        return LedgerResult(states, counts)

    async def generations(self, ids: Sequence[SubsectionId]) -> dict[SubsectionId, int]:
        """`seat_map_gen` of each subsection that has a `subsection_stats` row."""
        with _translated():
            rows = await self._pool.fetch(q.GENERATIONS, *q.arrays(ids))
        return dict(zip(q.ids_of(rows), (r["seat_map_gen"] for r in rows), strict=True))

    async def rebuild(self, ids: Sequence[SubsectionId]) -> list[Snapshot]:
        """Move each subsection's generation on and read its seat state in one REPEATABLE READ
        transaction; tried again when a concurrent batch makes it fail to serialize."""
        for attempt in range(_REBUILD_TRIES):
            try:
                with _translated():
                    return await self._rebuild(ids)
            except Unavailable as e:
                if not isinstance(e.__cause__, _CONCURRENT) or attempt == _REBUILD_TRIES - 1:
                    raise
        raise AssertionError("unreachable")

    async def _rebuild(self, ids: Sequence[SubsectionId]) -> list[Snapshot]:
        arrays = q.arrays(sorted(ids))
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            gens = await conn.fetch(q.BUMP_GENERATIONS, *arrays)
            shapes = await conn.fetch(q.SHAPES, *arrays)
            held = await conn.fetch(q.HELD_SEATS, *arrays)
            released = await conn.fetch(q.RELEASED_BOOKINGS, *arrays, _RELEASED)
        return q.snapshots(gens, shapes, held, released)

    async def subsections(self, event_id: int | None = None) -> list[SubsectionId]:
        """Every subsection that has a `subsection_stats` row (of one event, or of all)."""
        with _translated():
            return q.ids_of(await self._pool.fetch(q.SUBSECTIONS, event_id))

    async def audit(self) -> dict[SubsectionId, MapState]:
        """Generation and free seats of every subsection."""
        with _translated():
            rows = await self._pool.fetch(q.AUDIT)
        states = (MapState(r["seat_map_gen"], r["free_seats"]) for r in rows)
        return dict(zip(q.ids_of(rows), states, strict=True))


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


async def _settle_subsections(
    conn: asyncpg.Connection, held: Sequence[Settlement], steps: Sequence[GenerationStep]
) -> list[SubsectionState]:
    """Count the reserved seats and take the generation steps, in one statement; a step whose
    row did not come back found another generation."""
    per: Counter[SubsectionId] = Counter()
    for s in held:
        per[SubsectionId(s.event_id, s.section, s.subsection)] += len(s.seat_positions)
    moves = {step.where: step for step in steps}
    keys = list(per.keys() | moves.keys())
    if not keys:
        return []
    none = GenerationStep(keys[0], UNCHECKED, UNCHECKED)
    rows = await conn.fetch(
        q.SETTLE_SUBSECTIONS, *q.arrays(keys), [per[k] for k in keys],
        [moves.get(k, none).base for k in keys], [moves.get(k, none).new for k in keys],
    )
    found = set(q.ids_of(rows))
    if moves.keys() - found:
        raise StaleSeatMap(f"seat map generation moved for {len(moves.keys() - found)} subsections")
    if per.keys() - found:
        raise SeatConflict(f"subsection stats missing for {len(per.keys() - found)} subsections")
    counted = [dict(r) for r in rows if r["n"] > 0]
    return [SubsectionState(**{k: v for k, v in r.items() if k != "n"}) for r in counted]
