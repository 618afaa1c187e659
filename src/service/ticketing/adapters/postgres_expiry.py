"""PostgreSQL statements of the expiry sweep (spec/booking.md, rule 6): set-wise, in the
caller's transaction, three statements for any number of due bookings.

1. `EXPIRE` as a compare-and-set on the bookings due at the caller's `now`, claimed with
   `FOR UPDATE SKIP LOCKED` so that sweepers of several API processes share the work and
   never wait on a pay (or on the reservation service) holding a row; the release is owed
   (`release_pending`), so the outbox relay re-sends it until the broker acks;
2. their reserved tickets back to available, counted per booking (a booking that does not
   find all of its seats rolls the whole sweep back: `SeatStateConflict`);
3. the subsections' counts, in sorted order.

A crash anywhere before the commit changes nothing: the bookings are still due for the next
sweep.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import asyncpg

from src.service.lifecycle import EXPIRE

_FREED, _HELD = EXPIRE.ticket_move()[1], EXPIRE.ticket_move()[0]

# The claim is a MATERIALIZED CTE, evaluated once: as an `IN (subquery)` the planner may make
# it the inner side of a nested-loop semi-join, rescanned per outer row, and each rescan locks
# `$2` more rows (seen after migration 0011 widened `bookings`: a sweep with limit 4 took 10).
EXPIRE_BOOKINGS = (
    f"WITH due AS MATERIALIZED (SELECT id FROM bookings WHERE {EXPIRE.guard()} "
    "AND expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED) "
    f"UPDATE bookings SET status = '{EXPIRE.target}', release_pending = true, "
    "publish_attempts = 1, updated_at = now() "
    f"WHERE id IN (SELECT id FROM due) AND {EXPIRE.guard()} RETURNING *"
)
FREE_TICKETS = (
    f"UPDATE tickets AS t SET status = '{_FREED}', booking_id = NULL, updated_at = now() "
    "FROM unnest($1::uuid[]) AS u(id) "
    f"WHERE t.booking_id = u.id AND {EXPIRE.tickets_guard('t.status')} RETURNING u.id"
)
MOVE_COUNTS = (
    f"UPDATE subsection_stats AS s SET {_HELD} = s.{_HELD} - u.n, {_FREED} = s.{_FREED} + u.n "
    "FROM unnest($1::int[], $2::text[], $3::int[], $4::int[]) "
    "AS u(event_id, section, subsection, n) "
    "WHERE s.event_id = u.event_id AND s.section = u.section AND s.subsection = u.subsection "
    "RETURNING s.*"
)


class SeatsMissing(Exception):
    """An expiring booking does not hold as many reserved tickets as it booked seats."""


async def expire_rows(
    conn: asyncpg.Connection, now: datetime, limit: int
) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """(the bookings just expired, their subsections' new counts), as rows; raises
    `SeatsMissing` when tickets and bookings disagree (the caller rolls back)."""
    expired = await conn.fetch(EXPIRE_BOOKINGS, now, limit)
    if not expired:
        return [], []
    freed = Counter(r["id"] for r in await conn.fetch(FREE_TICKETS, [b["id"] for b in expired]))
    short = [b["id"] for b in expired if freed[b["id"]] != b["quantity"]]
    if short:
        raise SeatsMissing(f"bookings {short}: fewer reserved tickets than seats")
    per: Counter[tuple[int, str, int]] = Counter()
    for b in expired:
        per[(b["event_id"], b["section"], b["subsection"])] += b["quantity"]
    where = sorted(per)
    counts = await conn.fetch(MOVE_COUNTS, [w[0] for w in where], [w[1] for w in where],
                              [w[2] for w in where], [per[w] for w in where])
    return list(expired), list(counts)
