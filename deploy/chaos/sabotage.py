"""`--sabotage KIND`: corrupt one scenario's outcome after settling, so a check must fire.

The data kinds are the load tool's (`deploy/loadtest/sabotage.py`: bit, ticket, double, lost,
holding, exception, notenough, stuck). Two more corrupt what the client observed, for the
checks that judge answers rather than data:

  http500    one answer becomes a plain-text HTTP 500 (`bad_5xx`)
  duplicate  one accepted booking's retry comes back with another booking id
             (`duplicate_on_retry`)
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import asyncpg
from redis.asyncio import Redis

from deploy.chaos.load import LoadResult
from deploy.loadtest import sabotage as data
from deploy.loadtest.retry import Attempt

CLIENT_KINDS = ("http500", "duplicate")
KINDS = (*data.KINDS, *CLIENT_KINDS)


def observations(kind: str, result: LoadResult) -> str:
    """Corrupt the client's record as `kind` says; returns what was done."""
    accepted = next((b for b in result.bookings if b.accepted), None)
    if accepted is None:
        return f"sabotage {kind} skipped: no accepted booking"
    first = accepted.attempts[0]
    if kind == "http500":
        accepted.attempts.append(Attempt(500, None, "text/plain", sent=first.sent,
                                         done=first.done))
        return f"sabotage http500: booking {accepted.ids[0]} got a plain-text 500 as well"
    other = str(uuid.uuid4())
    accepted.attempts.append(replace(first, body={"id": other, "status": "processing"}))
    return f"sabotage duplicate: booking {accepted.ids[0]} was also answered as {other}"


async def apply(kind: str, conn: asyncpg.Connection, redis: Redis, event_id: int, cols: int,
                result: LoadResult) -> str:
    """Apply one sabotage kind (data or observations); returns what was done."""
    if kind in CLIENT_KINDS:
        return observations(kind, result)
    return await data.sabotage(kind, conn, redis, event_id, cols)
