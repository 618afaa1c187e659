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
from src.service.reservation.application.ports import Snapshot, Subsection, SubsectionId
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

# A booking held on an event with a payment deadline gets its `expires_at`, computed in the
# same statement from the event's `hold_seconds` (NULL, no deadline, gives NULL): one column
# and a primary-key join, no extra round trip (spec/booking.md, rule 6).
MOVE_BOOKINGS = f"""
UPDATE bookings AS b
SET status = u.status,
    seat_positions = CASE WHEN {_HOLDS}
                          THEN string_to_array(u.positions, ',') ELSE b.seat_positions END,
    total_price = CASE WHEN {_HOLDS} THEN u.total_price ELSE b.total_price END,
    failure_reason = u.reason,
    expires_at = CASE WHEN {_HOLDS} THEN now() + make_interval(secs => e.hold_seconds) END,
    updated_at = now()
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[])
     AS u(id, status, positions, total_price, reason), events AS e
WHERE b.id = u.id AND e.id = b.event_id AND {_SETTLE_GUARD}
RETURNING b.id, b.buyer_id, b.event_id, b.status, b.seat_positions, b.total_price,
          b.failure_reason, b.expires_at
"""

RESERVE_TICKETS = f"""
UPDATE tickets AS t
SET status = {_text(TicketStatus.RESERVED)}, booking_id = u.booking_id, updated_at = now()
FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::int[], $6::int[])
     AS u(booking_id, event_id, section, subsection, row, seat)
WHERE t.event_id = u.event_id AND t.section = u.section AND t.subsection = u.subsection
  AND t.row = u.row AND t.seat = u.seat AND {HOLD.tickets_guard("t.status")}
"""

# The batch's generation steps and its reserved counts, in one statement: every subsection the
# batch touched (n = 0 for those it only released in) moves `seat_map_gen` from base to new, a
# compare-and-set; the caller checks that every row came back (spec/architecture.md, g. 7).
SETTLE_SUBSECTIONS = """
UPDATE subsection_stats AS s
SET available = s.available - u.n, reserved = s.reserved + u.n,
    seat_map_gen = CASE WHEN u.new < 0 THEN s.seat_map_gen ELSE u.new END
FROM unnest($1::int[], $2::text[], $3::int[], $4::int[], $5::bigint[], $6::bigint[])
     AS u(event_id, section, subsection, n, base, new)
WHERE s.event_id = u.event_id AND s.section = u.section AND s.subsection = u.subsection
  AND (u.base < 0 OR s.seat_map_gen = u.base)
RETURNING s.event_id, s.section, s.subsection, s.available, s.reserved, s.sold, u.n
"""

BOOKINGS = """
SELECT id, buyer_id, event_id, status, seat_positions, total_price, failure_reason, expires_at
FROM bookings WHERE id = ANY($1::uuid[])
"""

_OF = "unnest($1::int[], $2::text[], $3::int[]) AS u(event_id, section, subsection)"
_MATCH = "{t}.event_id = u.event_id AND {t}.section = u.section AND {t}.subsection = u.subsection"

GENERATIONS = f"""
SELECT s.event_id, s.section, s.subsection, s.seat_map_gen
FROM subsection_stats AS s JOIN {_OF} ON {_MATCH.format(t="s")}
"""

# The first statement of a rebuild's REPEATABLE READ transaction: it takes the rows' locks, so
# no batch of these subsections commits between it and the reads after it, and a batch that
# committed after the snapshot began makes it fail (serialization) instead of being missed.
BUMP_GENERATIONS = f"""
UPDATE subsection_stats AS s SET seat_map_gen = s.seat_map_gen + 1
FROM {_OF} WHERE {_MATCH.format(t="s")}
RETURNING s.event_id, s.section, s.subsection, s.seat_map_gen
"""

SHAPES = f"""
SELECT t.event_id, t.section, t.subsection,
       (e.seating_config ->> 'rows')::int AS rows, (e.seating_config ->> 'cols')::int AS cols,
       count(*) FILTER (WHERE t.status = {_text(TicketStatus.AVAILABLE)})::int AS free_seats
FROM tickets AS t JOIN events AS e ON e.id = t.event_id JOIN {_OF} ON {_MATCH.format(t="t")}
GROUP BY t.event_id, t.section, t.subsection, e.seating_config
"""

HELD_SEATS = f"""
SELECT t.event_id, t.section, t.subsection, t.booking_id, t.row, t.seat
FROM tickets AS t JOIN {_OF} ON {_MATCH.format(t="t")}
WHERE t.status <> {_text(TicketStatus.AVAILABLE)}
"""

# Bookings that ended holding nothing (cancelled, failed) leave a tombstone.
RELEASED_BOOKINGS = f"""
SELECT b.event_id, b.section, b.subsection, b.id AS booking_id
FROM bookings AS b JOIN {_OF} ON {_MATCH.format(t="b")}
WHERE b.status = ANY($4::text[])
"""

SUBSECTIONS = """
SELECT event_id, section, subsection FROM subsection_stats
WHERE $1::int IS NULL OR event_id = $1 ORDER BY event_id, section, subsection
"""

AUDIT = """
SELECT event_id, section, subsection, seat_map_gen, available AS free_seats FROM subsection_stats
"""


_Key = tuple[int, str, int]


def _key(row: asyncpg.Record) -> _Key:
    return row["event_id"], row["section"], row["subsection"]


def snapshots(
    generations: Sequence[asyncpg.Record],
    shapes: Sequence[asyncpg.Record],
    held: Sequence[asyncpg.Record],
    released: Sequence[asyncpg.Record],
) -> list[Snapshot]:
    """One snapshot per subsection that has a generation and tickets: held seats as bit indexes
    per booking, released bookings, free seats and the generation to write."""
    gens = {_key(r): r["seat_map_gen"] for r in generations}
    subs = {_key(r): Subsection(*_key(r), r["rows"], r["cols"]) for r in shapes if _key(r) in gens}
    holdings: dict[_Key, dict[UUID, list[int]]] = defaultdict(lambda: defaultdict(list))
    for r in held:
        if _key(r) in subs:
            index = SeatPosition(r["row"], r["seat"]).index(subs[_key(r)].cols)
            holdings[_key(r)][r["booking_id"]].append(index)
    tombstones: dict[_Key, list[UUID]] = defaultdict(list)
    for r in released:
        tombstones[_key(r)].append(r["booking_id"])
    return [
        Snapshot(
            subsection=subs[_key(r)],
            available=r["free_seats"],
            holdings={b: tuple(sorted(seats)) for b, seats in holdings[_key(r)].items()},
            released=tuple(tombstones[_key(r)]),
            generation=gens[_key(r)],
        )
        for r in shapes if _key(r) in subs
    ]


def ids_of(rows: Sequence[asyncpg.Record]) -> list[SubsectionId]:
    """The subsections of rows that have event_id, section and subsection."""
    return [SubsectionId(*_key(r)) for r in rows]


def arrays(ids: Sequence[SubsectionId]) -> tuple[list[int], list[str], list[int]]:
    """Subsections as the three arrays the `unnest` statements take."""
    return [i.event_id for i in ids], [i.section for i in ids], [i.subsection for i in ids]
