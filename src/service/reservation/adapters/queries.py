"""SQL of the PostgreSQL adapter, and the mapping of rebuild rows to snapshots.

Every status in these statements comes from `src/service/lifecycle.py`, built into the SQL
once at import (spec/architecture.md, "Lifecycle"): the settle statements are the `hold` and
`refuse` transitions, the only ones this service performs ("Ownership").
"""

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

import asyncpg

from src.service.lifecycle import HOLD, REFUSE, BookingStatus, TicketStatus
from src.service.reservation.application.ports import Snapshot, Subsection
from src.service.seats import SeatPosition


def _text(status: BookingStatus | TicketStatus) -> str:
    """A status as an SQL string literal."""
    return f"'{status}'"


# Each row's `u.status` is the target of its settlement's transition (`hold` or `refuse`). Both
# leave the same statuses, so one guard serves the whole batch and the statement keeps its
# plan; a settle transition with other sources would need its own guard here.
if HOLD.sources != REFUSE.sources:
    raise RuntimeError("hold and refuse no longer share a guard: split MOVE_BOOKINGS")
_SETTLE_GUARD = HOLD.guard("b.status")
_HOLDS = f"u.status = {_text(HOLD.target)}"

MOVE_BOOKINGS = f"""
UPDATE bookings AS b
SET status = u.status,
    seat_positions = CASE WHEN {_HOLDS}
                          THEN string_to_array(u.positions, ',') ELSE b.seat_positions END,
    total_price = CASE WHEN {_HOLDS} THEN u.total_price ELSE b.total_price END,
    failure_reason = u.reason,
    updated_at = now()
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[])
     AS u(id, status, positions, total_price, reason)
WHERE b.id = u.id AND {_SETTLE_GUARD}
RETURNING b.id, b.buyer_id, b.event_id, b.status, b.seat_positions, b.total_price,
          b.failure_reason
"""

RESERVE_TICKETS = f"""
UPDATE tickets AS t
SET status = {_text(TicketStatus.RESERVED)}, booking_id = u.booking_id, updated_at = now()
FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::int[], $6::int[])
     AS u(booking_id, event_id, section, subsection, row, seat)
WHERE t.event_id = u.event_id AND t.section = u.section AND t.subsection = u.subsection
  AND t.row = u.row AND t.seat = u.seat AND {HOLD.tickets_guard("t.status")}
"""

COUNT_RESERVED = """
UPDATE subsection_stats AS s
SET available = s.available - u.n, reserved = s.reserved + u.n
FROM unnest($1::int[], $2::text[], $3::int[], $4::int[]) AS u(event_id, section, subsection, n)
WHERE s.event_id = u.event_id AND s.section = u.section AND s.subsection = u.subsection
RETURNING s.event_id, s.section, s.subsection, s.available, s.reserved, s.sold
"""

BOOKINGS = """
SELECT id, buyer_id, event_id, status, seat_positions, total_price, failure_reason
FROM bookings WHERE id = ANY($1::uuid[])
"""

SUBSECTIONS = f"""
SELECT t.event_id, t.section, t.subsection,
       (e.seating_config ->> 'rows')::int AS rows, (e.seating_config ->> 'cols')::int AS cols,
       count(*) FILTER (WHERE t.status = {_text(TicketStatus.AVAILABLE)})::int AS free_seats
FROM tickets AS t JOIN events AS e ON e.id = t.event_id
WHERE $1::int IS NULL OR t.event_id = $1
GROUP BY t.event_id, t.section, t.subsection, e.seating_config
ORDER BY t.event_id, t.section, t.subsection
"""

HELD_SEATS = f"""
SELECT event_id, section, subsection, booking_id, row, seat
FROM tickets
WHERE status <> {_text(TicketStatus.AVAILABLE)} AND ($1::int IS NULL OR event_id = $1)
"""

CANCELLED_BOOKINGS = f"""
SELECT event_id, section, subsection, id AS booking_id
FROM bookings
WHERE status = {_text(BookingStatus.CANCELLED)} AND ($1::int IS NULL OR event_id = $1)
"""


_Key = tuple[int, str, int]


def _key(row: asyncpg.Record) -> _Key:
    return row["event_id"], row["section"], row["subsection"]


def snapshots(
    subsections: Sequence[asyncpg.Record],
    held: Sequence[asyncpg.Record],
    released: Sequence[asyncpg.Record],
) -> list[Snapshot]:
    """One snapshot per subsection: held seats as bit indexes per booking, released bookings."""
    shapes = {_key(r): Subsection(*_key(r), r["rows"], r["cols"]) for r in subsections}
    holdings: dict[_Key, dict[UUID, list[int]]] = defaultdict(lambda: defaultdict(list))
    for r in held:
        index = SeatPosition(r["row"], r["seat"]).index(shapes[_key(r)].cols)
        holdings[_key(r)][r["booking_id"]].append(index)
    tombstones: dict[_Key, list[UUID]] = defaultdict(list)
    for r in released:
        tombstones[_key(r)].append(r["booking_id"])
    return [
        Snapshot(
            subsection=shapes[_key(r)],
            available=r["free_seats"],
            holdings={b: tuple(sorted(seats)) for b, seats in holdings[_key(r)].items()},
            released=tuple(tombstones[_key(r)]),
        )
        for r in subsections
    ]
