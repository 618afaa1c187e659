"""SQL of the PostgreSQL adapter, and the mapping of rebuild rows to snapshots."""

from collections import defaultdict
from collections.abc import Sequence

import asyncpg

from src.service.reservation.application.ports import Snapshot, Subsection

MOVE_BOOKINGS = """
UPDATE bookings AS b
SET status = u.status,
    seat_positions = CASE WHEN u.status = 'pending_payment'
                          THEN string_to_array(u.positions, ',') ELSE b.seat_positions END,
    total_price = CASE WHEN u.status = 'pending_payment' THEN u.total_price ELSE b.total_price END,
    failure_reason = u.reason,
    updated_at = now()
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[])
     AS u(id, status, positions, total_price, reason)
WHERE b.id = u.id AND b.status = 'processing'
RETURNING b.id, b.buyer_id, b.event_id, b.status, b.seat_positions, b.total_price,
          b.failure_reason
"""

RESERVE_TICKETS = """
UPDATE tickets AS t
SET status = 'reserved', booking_id = u.booking_id, updated_at = now()
FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::int[], $6::int[])
     AS u(booking_id, event_id, section, subsection, row, seat)
WHERE t.event_id = u.event_id AND t.section = u.section AND t.subsection = u.subsection
  AND t.row = u.row AND t.seat = u.seat AND t.status = 'available'
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

FAIL_BOOKING = """
UPDATE bookings SET status = 'failed', failure_reason = $2, updated_at = now()
WHERE id = $1 AND status = 'processing'
RETURNING id
"""

SUBSECTIONS = """
SELECT t.event_id, t.section, t.subsection,
       (e.seating_config ->> 'rows')::int AS rows, (e.seating_config ->> 'cols')::int AS cols,
       count(*) FILTER (WHERE t.status = 'available')::int AS available
FROM tickets AS t JOIN events AS e ON e.id = t.event_id
WHERE $1::int IS NULL OR t.event_id = $1
GROUP BY t.event_id, t.section, t.subsection, e.seating_config
ORDER BY t.event_id, t.section, t.subsection
"""

HELD_SEATS = """
SELECT event_id, section, subsection, booking_id, row, seat
FROM tickets
WHERE status <> 'available' AND ($1::int IS NULL OR event_id = $1)
"""

CANCELLED_BOOKINGS = """
SELECT event_id, section, subsection, id AS booking_id
FROM bookings
WHERE status = 'cancelled' AND ($1::int IS NULL OR event_id = $1)
"""


def _key(row: asyncpg.Record) -> tuple[int, str, int]:
    return row["event_id"], row["section"], row["subsection"]


def snapshots(
    subsections: Sequence[asyncpg.Record],
    held: Sequence[asyncpg.Record],
    released: Sequence[asyncpg.Record],
) -> list[Snapshot]:
    """One snapshot per subsection: held seats as bit indexes per booking, released bookings."""
    shapes = {_key(r): Subsection(*_key(r), r["rows"], r["cols"]) for r in subsections}
    holdings: dict[tuple, dict] = defaultdict(lambda: defaultdict(list))
    for r in held:
        index = (r["row"] - 1) * shapes[_key(r)].cols + (r["seat"] - 1)
        holdings[_key(r)][r["booking_id"]].append(index)
    tombstones: dict[tuple, list] = defaultdict(list)
    for r in released:
        tombstones[_key(r)].append(r["booking_id"])
    return [
        Snapshot(
            subsection=shapes[_key(r)],
            available=r["available"],
            holdings={b: tuple(sorted(seats)) for b, seats in holdings[_key(r)].items()},
            released=tuple(tombstones[_key(r)]),
        )
        for r in subsections
    ]
