"""PostgreSQL per-buyer counters, `buyer_holdings` (migration 0010; spec/booking.md, rules
11–12; spec/decisions.md, "Per-buyer limits are counted in buyer_holdings, kept by
triggers"): one row per (event, buyer) of an event that limits buyers, kept by triggers on
`bookings`. Here: what a seller's change does to them, and the recount from the bookings that
the change and the load tool's verifier (deploy/loadtest/verify.py) share."""

import asyncpg

from src.service.lifecycle import LIMIT_COUNTED, OPEN, sql_in

# What every buyer holds of event $1, counted from the bookings themselves.
RECOUNT = f"""
SELECT buyer_id, sum(quantity)::int AS tickets,
       (count(*) FILTER (WHERE {sql_in('status', OPEN)}))::int AS open_bookings
FROM bookings WHERE event_id = $1 AND {sql_in('status', LIMIT_COUNTED)} GROUP BY buyer_id
"""
LIMITS_BUYERS = "(e.max_tickets_per_buyer IS NOT NULL OR e.one_open_booking_per_buyer)"
# Every write of bookings waits until the transaction ends: no move can slip between the
# recount and the commit of the limit that makes the triggers count.
FREEZE_BOOKINGS = "LOCK TABLE bookings IN SHARE MODE"
_DROP = "DELETE FROM buyer_holdings WHERE event_id = $1"
_REFILL = f"""
INSERT INTO buyer_holdings (event_id, buyer_id, tickets, open_bookings)
SELECT $1::int, r.buyer_id, r.tickets, r.open_bookings FROM ({RECOUNT}) AS r
ORDER BY r.buyer_id
"""
# Buyers of event $1 whose counter differs from the recount, while the event limits buyers
# (a counter at zero and no counted booking agree).
DRIFT = f"""
SELECT count(*) FROM (
  SELECT buyer_id, tickets, open_bookings FROM buyer_holdings
  WHERE event_id = $1 AND (tickets, open_bookings) <> (0, 0)) AS h
FULL JOIN ({RECOUNT}) AS r USING (buyer_id)
JOIN events AS e ON e.id = $1
WHERE {LIMITS_BUYERS}
  AND (h.tickets, h.open_bookings) IS DISTINCT FROM (r.tickets, r.open_bookings)
"""


async def recount_holdings(conn: asyncpg.Connection, event_id: int, limited: bool) -> None:
    """Drop the event's counters and, when it now `limited` buyers, count them again from its
    bookings. Inside a transaction that ran `FREEZE_BOOKINGS` before it locked the event."""
    await conn.execute(_DROP, event_id)
    if limited:
        await conn.execute(_REFILL, event_id)


async def holding_drift(conn: asyncpg.Connection, event_id: int) -> int:
    """How many buyers' counters of the event differ from a recount of its bookings (0 when
    the event has no limits: it has no counters to hold)."""
    return await conn.fetchval(DRIFT, event_id)
