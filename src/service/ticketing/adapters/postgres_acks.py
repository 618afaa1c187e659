"""Recording the broker's acks of BookingCreated (`bookings.command_acked`), so the outbox
relay re-sends only commands that were never acknowledged (spec/architecture.md, guarantee 8).

Off the response path: `acked` only queues the id. The flag matters only for a booking still
`processing` when the relay first looks at it (`TICKETING_OUTBOX_REPUBLISH_AFTER_S` after it
was stored), so the write waits `delay_s` (the wiring passes half that age) and then touches
only the bookings still unsettled: in a healthy pipeline they have all been settled by then
and the UPDATE writes nothing, where writing at once cost a second row version of every
booking (spec/performance.md, "Session of 2026-12-02"). A lost write costs one needless
re-send, nothing else.
"""

import asyncio
import contextlib
import time
from collections import deque
from uuid import UUID

import asyncpg

from src.platform.batching import Coalescer
from src.platform.db import UNAVAILABLE
from src.service.lifecycle import INITIAL
from src.service.ticketing.application.ports import Unavailable

# Settled bookings are left alone: the relay never looks at them again anyway. Rows locked by a
# transaction settling them right now are skipped, so this never waits on (or deadlocks with)
# the reservation service; a skipped ack costs at most one needless re-send.
_ACKED = (
    "UPDATE bookings SET command_acked = true WHERE id IN (SELECT id FROM bookings "
    f"WHERE id = ANY($1::uuid[]) AND status = '{INITIAL}' AND NOT command_acked "
    "FOR UPDATE SKIP LOCKED)"
)


class PostgresAckLog:
    """One UPDATE per burst of acks that are `delay_s` seconds old (0: per burst at once),
    gathered at most every quarter of `delay_s` (at most 1 s), so bursts are large; a pooled
    connection is waited for `acquire_timeout_s`. `aclose` writes what is still queued."""

    def __init__(self, pool: asyncpg.Pool, acquire_timeout_s: float = 10.0,
                 max_batch: int = 5000, delay_s: float = 0.0) -> None:
        self._pool, self._timeout_s, self._delay_s = pool, acquire_timeout_s, delay_s
        self._writes: Coalescer[UUID, None] = Coalescer(self._write, max_batch)
        self._queued: deque[tuple[float, UUID]] = deque()
        self._timer: asyncio.Task[None] | None = None
        self._tick_s = min(1.0, delay_s / 4)

    def acked(self, booking_id: UUID) -> None:
        """Queue the ack and return at once (needs a running event loop)."""
        if self._delay_s <= 0:
            self._writes.post(booking_id)
            return
        self._queued.append((time.monotonic() + self._delay_s, booking_id))
        if self._timer is None:
            self._timer = asyncio.get_running_loop().create_task(self._release())

    async def aclose(self) -> None:
        """Stop the timer and write every queued ack now (best effort)."""
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        self._flush(float("inf"))
        while self._writes.busy:
            await asyncio.sleep(0.01)

    async def _release(self) -> None:
        """Hand each queued ack to the writer once it is due; ends when the queue is empty."""
        try:
            while self._queued:
                await asyncio.sleep(max(self._tick_s, self._queued[0][0] - time.monotonic()))
                self._flush(time.monotonic())
        finally:
            self._timer = None

    def _flush(self, now: float) -> None:
        while self._queued and self._queued[0][0] <= now:
            self._writes.post(self._queued.popleft()[1])

    async def _write(self, booking_ids: list[UUID]) -> list[None]:
        try:
            async with self._pool.acquire(timeout=self._timeout_s) as conn:
                await conn.execute(_ACKED, booking_ids)
        except UNAVAILABLE as e:
            raise Unavailable("database unavailable") from e
        return [None] * len(booking_ids)
