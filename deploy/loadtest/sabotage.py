"""Deliberate corruption after a run, to show that `verify.py` catches it.

`--sabotage KIND` (or LOADTEST_SABOTAGE=KIND) damages one seat or booking before the checks:
  bit     clears the Kvrocks bit of one held seat
  ticket  turns one reserved ticket back to available in PostgreSQL
  double  makes one failed booking claim a seat another booking already holds
  lost    deletes one failed booking row, as if an accepted booking had vanished
Each must make the run's checks fail (spec/performance.md lists the counts to expect).
"""

from __future__ import annotations

import asyncpg
from redis.asyncio import Redis

from src.service.contract import seats_key, subsection_tag
from src.service.seats import SeatPosition

KINDS = ("bit", "ticket", "double", "lost")

ONE_HELD = """
SELECT id, section, subsection, row, seat, booking_id FROM tickets
WHERE event_id = $1 AND status = 'reserved' ORDER BY id LIMIT 1
"""
ONE_FAILED = "SELECT id FROM bookings WHERE event_id = $1 AND status = 'failed' LIMIT 1"
CLAIM = """
UPDATE bookings SET status = 'pending_payment', seat_positions = ARRAY[$2::text],
       section = $3, subsection = $4, quantity = 1
WHERE id = $1
"""


def _seat(t: asyncpg.Record) -> str:
    return f"{t['section']}:{t['subsection']} {t['row']}-{t['seat']}"


async def _bit(conn, redis: Redis, event_id: int, cols: int, t: asyncpg.Record) -> str:
    tag = subsection_tag(event_id, t["section"], t["subsection"])
    index = SeatPosition(t["row"], t["seat"]).index(cols)
    await redis.execute_command("BITFIELD", seats_key(tag), "SET", "u1", f"#{index}", 0)
    return f"cleared the Kvrocks bit of held seat {_seat(t)}"


async def _ticket(conn, redis, event_id: int, cols: int, t: asyncpg.Record) -> str:
    await conn.execute(
        "UPDATE tickets SET status = 'available', booking_id = NULL WHERE id = $1", t["id"]
    )
    return f"ticket of seat {_seat(t)} set back to available in PostgreSQL"


async def _double(conn, redis, event_id: int, cols: int, t: asyncpg.Record) -> str:
    failed = await conn.fetchval(ONE_FAILED, event_id)
    if failed is None:
        return "skipped: no failed booking to reuse"
    position = f"{t['row']}-{t['seat']}"
    await conn.execute(CLAIM, failed, position, t["section"], t["subsection"])
    return f"failed booking {failed} now claims held seat {_seat(t)} as pending_payment"


async def _lost(conn, redis, event_id: int, cols: int, t: asyncpg.Record) -> str:
    failed = await conn.fetchval(ONE_FAILED, event_id)
    if failed is None:
        return "skipped: no failed booking to delete"
    await conn.execute("DELETE FROM bookings WHERE id = $1", failed)
    return f"deleted the row of accepted (failed) booking {failed}"


ACTIONS = {"bit": _bit, "ticket": _ticket, "double": _double, "lost": _lost}


async def sabotage(
    kind: str, conn: asyncpg.Connection, redis: Redis, event_id: int, cols: int
) -> str:
    """Corrupt the event as `kind` says; returns what was done."""
    ticket = await conn.fetchrow(ONE_HELD, event_id)
    if ticket is None:
        return "sabotage skipped: no reserved ticket"
    return f"sabotage {kind}: {await ACTIONS[kind](conn, redis, event_id, cols, ticket)}"
