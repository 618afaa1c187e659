"""After-run checks, read from PostgreSQL and Kvrocks directly. Each returns a count of
violations (0 = holds), so a broken build shows up as a non-zero number (see `--sabotage`).

Seat bits are read only with `BITFIELD key GET u1 #i` (spec/architecture.md, "Kvrocks rules").
"""

from __future__ import annotations

import json
from collections import defaultdict

import asyncpg
from redis.asyncio import Redis

from deploy.loadtest.report import add_up
from deploy.loadtest.verify_tickets import issued_mismatches
from src.service.contract import alloc_key, avail_key, seats_key, subsection_tag
from src.service.lifecycle import HOLDING, PAY, sql_in
from src.service.seats import SeatPosition
from src.service.ticketing.adapters.postgres_holdings import holding_drift

BITFIELD_CHUNK = 1000
Seats = dict[str, set]  # subsection tag → seat indexes, or (booking id, index) pairs

# The seats live bookings claim: every seat of a booking in a status that holds seats
# (`lifecycle.HOLDING`: pending_payment, completed), except those a refund gave back
# (spec/tickets.md, rule 15; a `refunded` booking claims none). A cancelled, failed or
# `expired` booking (spec/booking.md, rule 6) claims none: its seats count as free. A
# checked-in ticket's seat stays sold, so it is claimed like any other.
CLAIMS = """
WITH refunded AS (
  SELECT i.booking_id, t.row, t.seat FROM issued_tickets AS i JOIN tickets AS t ON t.id = i.seat_id
  WHERE i.event_id = $1 AND i.status = 'refunded'
), claimed AS (
  SELECT b.id AS booking_id, b.section, b.subsection,
         split_part(p, '-', 1)::int AS row, split_part(p, '-', 2)::int AS seat,
         CASE b.status WHEN '""" + str(PAY.target) + """' THEN 'sold' ELSE 'reserved' END AS status
  FROM bookings AS b, unnest(b.seat_positions) AS p
  WHERE b.event_id = $1 AND """ + sql_in("b.status", sorted(HOLDING)) + """
    AND NOT EXISTS (SELECT 1 FROM refunded AS r WHERE r.booking_id = b.id
                    AND r.row = split_part(p, '-', 1)::int AND r.seat = split_part(p, '-', 2)::int)
)"""

OVERSOLD = CLAIMS + """
SELECT count(*) FROM (
  SELECT 1 FROM claimed GROUP BY section, subsection, row, seat HAVING count(*) > 1) AS d
"""

TICKET_MISMATCHES = CLAIMS + """, held AS (
  SELECT booking_id, section, subsection, row, seat, status
  FROM tickets WHERE event_id = $1 AND status <> 'available'
)
SELECT (SELECT count(*) FROM (TABLE claimed EXCEPT ALL TABLE held) AS a)
     + (SELECT count(*) FROM (TABLE held EXCEPT ALL TABLE claimed) AS b)
"""

STATS_MISMATCHES = """
SELECT count(*) FROM subsection_stats AS s LEFT JOIN (
  SELECT section, subsection,
         count(*) FILTER (WHERE status = 'available') AS available,
         count(*) FILTER (WHERE status = 'reserved') AS reserved,
         count(*) FILTER (WHERE status = 'sold') AS sold
  FROM tickets WHERE event_id = $1 GROUP BY section, subsection) AS t
  USING (section, subsection)
WHERE s.event_id = $1
  AND (s.available, s.reserved, s.sold) IS DISTINCT FROM (t.available, t.reserved, t.sold)
"""

LOST = """
SELECT count(*) FROM unnest($1::uuid[]) AS a(id)
WHERE NOT EXISTS (SELECT 1 FROM bookings AS b WHERE b.id = a.id)
"""

FACTS = """
SELECT (SELECT count(*) FROM tickets WHERE event_id = $1 AND status = 'reserved') AS reserved,
       (SELECT count(*) FROM tickets WHERE event_id = $1 AND status = 'sold') AS sold,
       (SELECT count(*) FROM tickets WHERE event_id = $1 AND status = 'available') AS available,
       (SELECT coalesce(sum(cardinality(seat_positions)), 0) FROM bookings
        WHERE event_id = $1 AND status = 'pending_payment') AS pending_payment_seats
"""


async def oversold_seats(conn: asyncpg.Connection, event_id: int) -> int:
    """Seats claimed by more than one live (pending_payment/completed) booking, refunded seats
    left out."""
    return await conn.fetchval(OVERSOLD, event_id)


async def ticket_mismatches(conn: asyncpg.Connection, event_id: int) -> int:
    """Seats where bookings and tickets disagree: every seat of a pending_payment (completed)
    booking is a ticket reserved (sold) by that booking, and no other ticket is held."""
    return await conn.fetchval(TICKET_MISMATCHES, event_id)


async def stats_mismatches(conn: asyncpg.Connection, event_id: int) -> int:
    """Subsections whose subsection_stats counts differ from their tickets."""
    return await conn.fetchval(STATS_MISMATCHES, event_id)


async def holding_mismatches(conn: asyncpg.Connection, event_id: int) -> int:
    """Buyers whose per-buyer counter (`buyer_holdings`, spec/booking.md, rule 11) differs
    from a recount of their bookings; 0 for an event without limits."""
    return await holding_drift(conn, event_id)


async def lost_bookings(conn: asyncpg.Connection, accepted_ids: list[str]) -> int:
    """Bookings answered 202 that PostgreSQL does not have."""
    return await conn.fetchval(LOST, accepted_ids)


async def stuck_bookings(conn: asyncpg.Connection, event_id: int) -> int:
    """Bookings of the event still `processing` (every one should be pending_payment|failed)."""
    query = "SELECT count(*) FROM bookings WHERE event_id = $1 AND status = 'processing'"
    return await conn.fetchval(query, event_id)


async def unheld_seats(conn: asyncpg.Connection, event_id: int) -> int:
    """Tickets still available: after a sellout there must be none."""
    query = "SELECT count(*) FROM tickets WHERE event_id = $1 AND status = 'available'"
    return await conn.fetchval(query, event_id)


async def ticket_facts(conn: asyncpg.Connection, event_id: int) -> dict[str, int]:
    """Informational counts: tickets per status, seats of pending_payment bookings."""
    row = await conn.fetchrow(FACTS, event_id)
    return {f"tickets_{k}" if k != "pending_payment_seats" else k: v for k, v in row.items()}


async def seating(conn: asyncpg.Connection, event_id: int) -> dict:
    """The event's compact seating config."""
    raw = await conn.fetchval("SELECT seating_config FROM events WHERE id = $1", event_id)
    return json.loads(raw) if isinstance(raw, str) else raw


async def held_seats(conn: asyncpg.Connection, event_id: int, cols: int) -> Seats:
    """Bit indexes of reserved or sold tickets, per subsection tag."""
    rows = await conn.fetch(
        "SELECT section, subsection, row, seat FROM tickets "
        "WHERE event_id = $1 AND status <> 'available'", event_id)
    held: Seats = defaultdict(set)
    for r in rows:
        tag = subsection_tag(event_id, r["section"], r["subsection"])
        held[tag].add(SeatPosition(r["row"], r["seat"]).index(cols))
    return held


async def claimed_seats(conn: asyncpg.Connection, event_id: int, cols: int) -> Seats:
    """(booking id, bit index) of the seats live bookings claim, per subsection tag."""
    rows = await conn.fetch(CLAIMS + " SELECT * FROM claimed", event_id)
    claimed: Seats = defaultdict(set)
    for r in rows:
        tag = subsection_tag(event_id, r["section"], r["subsection"])
        claimed[tag].add((str(r["booking_id"]), SeatPosition(r["row"], r["seat"]).index(cols)))
    return claimed


async def read_bits(redis: Redis, tag: str, size: int) -> list[int]:
    """Every seat bit of a subsection, with BITFIELD GET u1 in chunks."""
    bits: list[int] = []
    for start in range(0, size, BITFIELD_CHUNK):
        args: list[str] = []
        for i in range(start, min(size, start + BITFIELD_CHUNK)):
            args += ["GET", "u1", f"#{i}"]
        bits += await redis.execute_command("BITFIELD", seats_key(tag), *args)
    return bits


def tags_of(event_id: int, config: dict) -> list[str]:
    """Subsection tags of an event."""
    return [subsection_tag(event_id, s["name"], n)
            for s in config["sections"] for n in range(1, s["subsections"] + 1)]


async def kvrocks_mismatches(
    redis: Redis, event_id: int, config: dict, held: Seats, claimed: Seats
) -> dict[str, int]:
    """bit_mismatches: seats whose bit differs from the ticket state (bit set ⇔ held);
    counter_mismatches: subsections whose avail counter ≠ number of clear bits;
    alloc_mismatches: (booking, seat) pairs in the alloc hash but not in PostgreSQL, or back."""
    size = config["rows"] * config["cols"]
    out = {"bit_mismatches": 0, "counter_mismatches": 0, "alloc_mismatches": 0}
    for tag in tags_of(event_id, config):
        bits = await read_bits(redis, tag, size)
        set_bits = {i for i, b in enumerate(bits) if b}
        out["bit_mismatches"] += len(set_bits ^ held.get(tag, set()))
        avail = await redis.get(avail_key(tag))
        out["counter_mismatches"] += int(avail is None or int(avail) != size - len(set_bits))
        alloc = await redis.hgetall(alloc_key(tag))
        pairs = {(k.decode(), int(i)) for k, v in alloc.items() for i in v.decode().split(",") if i}
        out["alloc_mismatches"] += len(pairs ^ claimed.get(tag, set()))
    return out


async def verify_events(
    conn: asyncpg.Connection, redis: Redis, event_ids: list[int], accepted_ids: list[str],
    sold_out: bool,
) -> dict[str, int]:
    """Every check over the events of a run, violations summed (`lost_bookings` once)."""
    per_event = [await event_checks(conn, redis, e, sold_out) for e in event_ids]
    return {"lost_bookings": await lost_bookings(conn, accepted_ids)} | add_up(per_event)


async def event_checks(
    conn: asyncpg.Connection, redis: Redis, event_id: int, sold_out: bool
) -> dict[str, int]:
    """Every check on one event but `lost_bookings`; `unheld_seats` only after a sellout."""
    config = await seating(conn, event_id)
    checks = {
        "oversold_seats": await oversold_seats(conn, event_id),
        "stuck_bookings": await stuck_bookings(conn, event_id),
        "ticket_mismatches": await ticket_mismatches(conn, event_id),
        "stats_mismatches": await stats_mismatches(conn, event_id),
        "issued_mismatches": await issued_mismatches(conn, event_id),
        "holding_mismatches": await holding_mismatches(conn, event_id),
    }
    held = await held_seats(conn, event_id, config["cols"])
    claimed = await claimed_seats(conn, event_id, config["cols"])
    checks |= await kvrocks_mismatches(redis, event_id, config, held, claimed)
    if sold_out:
        checks["unheld_seats"] = await unheld_seats(conn, event_id)
    return checks
