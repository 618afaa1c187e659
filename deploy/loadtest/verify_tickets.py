"""After-run check of issued tickets (spec/tickets.md, rules 1–2): a seat is sold exactly
when one live ticket stands for it. Returns a count of violations, like every check of
`verify.py`."""

from __future__ import annotations

import asyncpg

# Sold seats without exactly one live (valid or checked-in) ticket of the booking holding them,
# plus live tickets whose seat is not sold to their booking.
ISSUED_MISMATCHES = """
WITH live AS (
  SELECT seat_id, booking_id FROM issued_tickets
  WHERE event_id = $1 AND status IN ('valid', 'checked_in')
)
SELECT (SELECT count(*) FROM tickets AS t
        WHERE t.event_id = $1 AND t.status = 'sold'
          AND (SELECT count(*) FROM live AS l
               WHERE l.seat_id = t.id AND l.booking_id = t.booking_id) <> 1)
     + (SELECT count(*) FROM live AS l JOIN tickets AS t ON t.id = l.seat_id
        WHERE t.status <> 'sold' OR t.booking_id IS DISTINCT FROM l.booking_id)
"""


async def issued_mismatches(conn: asyncpg.Connection, event_id: int) -> int:
    """Sold seats without exactly one live ticket, and live tickets on seats not sold."""
    return await conn.fetchval(ISSUED_MISMATCHES, event_id)
