"""Recording the broker's acks of BookingCreated (`bookings.command_acked`), so the outbox
relay re-sends only commands that were never acknowledged (spec/architecture.md, guarantee 8).

Off the response path: `acked` only queues the id; a background flush writes every id queued
meanwhile in one UPDATE. A lost write costs one needless re-send, nothing else.
"""

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
    """One UPDATE per burst of acks; a pooled connection is waited for `acquire_timeout_s`."""

    def __init__(self, pool: asyncpg.Pool, acquire_timeout_s: float = 10.0,
                 max_batch: int = 5000) -> None:
        self._pool, self._timeout_s = pool, acquire_timeout_s
        self._writes: Coalescer[UUID, None] = Coalescer(self._write, max_batch)

    def acked(self, booking_id: UUID) -> None:
        """Queue the ack and return at once (needs a running event loop)."""
        self._writes.post(booking_id)

    async def _write(self, booking_ids: list[UUID]) -> list[None]:
        try:
            async with self._pool.acquire(timeout=self._timeout_s) as conn:
                await conn.execute(_ACKED, booking_ids)
        except UNAVAILABLE as e:
            raise Unavailable("database unavailable") from e
        return [None] * len(booking_ids)
