"""Deliberate corruption after a run, to show that `verify.py` catches it.

`--sabotage KIND` (or LOADTEST_SABOTAGE=KIND) damages one seat or booking before the checks:
  bit     clears the Kvrocks bit of one held seat
  ticket  turns one reserved ticket back to available in PostgreSQL
  double  makes one failed booking (or, if none failed, another held one) claim a seat
          another booking already holds
  lost    deletes one failed booking row (or, if none failed, a held one), as if an
          accepted booking had vanished
  holding adds one ticket to the per-buyer counter of a held booking's buyer (caught only on
          an event with per-buyer limits: without, it has no counters to hold)
and, for the chaos suite's checks (spec/faults.md):
  exception  marks one held booking failed with an exception text as its reason
  notenough  marks one held booking failed "not enough seats available" (its subsection has
             plenty left)
  stuck      puts one held booking back to processing
Each must make the run's checks fail (spec/performance.md and spec/faults.md list the counts
to expect).
"""

from __future__ import annotations

import asyncpg
from redis.asyncio import Redis

from src.service.contract import seats_key, subsection_tag
from src.service.seats import SeatPosition

KINDS = ("bit", "ticket", "double", "lost", "holding", "exception", "notenough", "stuck")

ONE_HELD = """
SELECT id, section, subsection, row, seat, booking_id FROM tickets
WHERE event_id = $1 AND status = 'reserved' ORDER BY id LIMIT 1
"""
ONE_FAILED = "SELECT id FROM bookings WHERE event_id = $1 AND status = 'failed' LIMIT 1"
OTHER_HELD = """
SELECT id FROM bookings WHERE event_id = $1 AND status = 'pending_payment' AND id <> $2 LIMIT 1
"""
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
    failed = failed or await conn.fetchval(OTHER_HELD, event_id, t["booking_id"])
    if failed is None:
        return "skipped: no other booking to reuse"
    position = f"{t['row']}-{t['seat']}"
    await conn.execute(CLAIM, failed, position, t["section"], t["subsection"])
    return f"booking {failed} now claims held seat {_seat(t)} as pending_payment"


async def _lost(conn, redis, event_id: int, cols: int, t: asyncpg.Record) -> str:
    failed = await conn.fetchval(ONE_FAILED, event_id)
    if failed is None:
        await conn.execute("DELETE FROM bookings WHERE id = $1", t["booking_id"])
        return f"deleted the row of accepted (held) booking {t['booking_id']}"
    await conn.execute("DELETE FROM bookings WHERE id = $1", failed)
    return f"deleted the row of accepted (failed) booking {failed}"


BUMP_HOLDING = """
INSERT INTO buyer_holdings AS h (event_id, buyer_id, tickets)
SELECT event_id, buyer_id, 1 FROM bookings WHERE id = $1
ON CONFLICT (event_id, buyer_id) DO UPDATE SET tickets = h.tickets + 1
"""


async def _holding(conn, redis, event_id: int, cols: int, t: asyncpg.Record) -> str:
    await conn.execute(BUMP_HOLDING, t["booking_id"])
    return f"one ticket added to the counter of the buyer of booking {t['booking_id']}"


FAIL_HELD = "UPDATE bookings SET status = 'failed', failure_reason = $2 WHERE id = $1"
EXCEPTION_REASON = "SeatConflict: sabotage: a seat map gone out of step with PostgreSQL"
NOT_ENOUGH = "not enough seats available"


async def _exception(conn, redis, event_id: int, cols: int, t: asyncpg.Record) -> str:
    await conn.execute(FAIL_HELD, t["booking_id"], EXCEPTION_REASON)
    return f"held booking {t['booking_id']} marked failed: {EXCEPTION_REASON!r}"


async def _notenough(conn, redis, event_id: int, cols: int, t: asyncpg.Record) -> str:
    await conn.execute(FAIL_HELD, t["booking_id"], NOT_ENOUGH)
    return f"held booking {t['booking_id']} marked failed: {NOT_ENOUGH!r}"


async def _stuck(conn, redis, event_id: int, cols: int, t: asyncpg.Record) -> str:
    await conn.execute("UPDATE bookings SET status = 'processing' WHERE id = $1", t["booking_id"])
    return f"held booking {t['booking_id']} put back to processing"


ACTIONS = {"bit": _bit, "ticket": _ticket, "double": _double, "lost": _lost,
           "holding": _holding, "exception": _exception, "notenough": _notenough, "stuck": _stuck}


async def sabotage(
    kind: str, conn: asyncpg.Connection, redis: Redis, event_id: int, cols: int
) -> str:
    """Corrupt the event as `kind` says; returns what was done."""
    ticket = await conn.fetchrow(ONE_HELD, event_id)
    if ticket is None:
        return "sabotage skipped: no reserved ticket"
    return f"sabotage {kind}: {await ACTIONS[kind](conn, redis, event_id, cols, ticket)}"
