"""Waiting for accepted bookings to settle, and their timings, read from PostgreSQL in bulk."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from deploy.loadtest.progress import progress
from deploy.loadtest.report import Settled

POLL_S = 0.25

STATUS_COUNTS = """
SELECT status, count(*) AS n FROM bookings WHERE event_id = ANY($1::int[]) GROUP BY status
"""

SETTLED = """
SELECT status, extract(epoch FROM created_at) AS created, extract(epoch FROM updated_at) AS updated
FROM bookings WHERE event_id = $1 AND status IN ('pending_payment', 'failed')
"""


async def status_counts(conn: asyncpg.Connection, event_ids: list[int]) -> dict[str, int]:
    """Number of bookings of the events per status, in one query."""
    return {r["status"]: r["n"] for r in await conn.fetch(STATUS_COUNTS, event_ids)}


async def wait_settled(
    conn: asyncpg.Connection, event_ids: list[int], accepted: int, timeout_s: float
) -> dict[str, int]:
    """Poll until no booking of the events is `processing` (or `timeout_s` passes); returns the
    last status counts, summed over the events."""
    started = time.perf_counter()
    counts: dict[str, int] = {}

    def line() -> str:
        settled = counts.get("pending_payment", 0) + counts.get("failed", 0)
        return (
            f"[settle] {time.perf_counter() - started:6.1f}s settled {settled}/{accepted} "
            f"(pending_payment {counts.get('pending_payment', 0)}, failed "
            f"{counts.get('failed', 0)}) processing {counts.get('processing', 0)}"
        )

    async with progress(line):
        while True:
            counts = await status_counts(conn, event_ids)
            if not counts.get("processing") or time.perf_counter() - started > timeout_s:
                return counts
            await asyncio.sleep(POLL_S)


async def settled_facts(conn: asyncpg.Connection, event_id: int, origin_wall: float) -> Settled:
    """Settle latency (created_at → updated_at) and settle times of settled bookings, and when
    the last seat was held (max updated_at of pending_payment), relative to `origin_wall`."""
    rows = await conn.fetch(SETTLED, event_id)
    held = [float(r["updated"]) for r in rows if r["status"] == "pending_payment"]
    return Settled(
        status_counts=await status_counts(conn, [event_id]),
        settle_ms=[(float(r["updated"]) - float(r["created"])) * 1000 for r in rows],
        settled_at=[float(r["updated"]) - origin_wall for r in rows],
        last_held_s=max(held) - origin_wall if held else None,
    )
