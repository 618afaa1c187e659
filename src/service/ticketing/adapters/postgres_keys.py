"""`idempotency_keys` in PostgreSQL: per buyer, what each Idempotency-Key was first used for
(spec/architecture.md, guarantee 9). A row older than the TTL counts as absent: it may be
taken over by a new request and is deleted by the outbox relay's sweep."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from src.service.ticketing.adapters.postgres_bookings import booking_from_row
from src.service.ticketing.domain.idempotency import KeyUse, Operation

_LIVE = "k.created_at >= now() - make_interval(secs => {ttl})"
# Claims keys: a new key, or one whose row expired, is taken (and RETURNed); a live row is kept.
CLAIM = """
INSERT INTO idempotency_keys AS k (buyer_id, key, operation, booking_id)
SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::uuid[])
ON CONFLICT (buyer_id, key) DO UPDATE
SET operation = EXCLUDED.operation, booking_id = EXCLUDED.booking_id, created_at = now()
WHERE k.created_at < now() - make_interval(secs => $5)
RETURNING k.booking_id
"""
# What live keys stand for; `b.id` is NULL when the booking no longer exists.
USES = f"""
SELECT k.buyer_id AS key_buyer, k.key AS key_text, k.operation AS key_operation, b.*
FROM idempotency_keys k
JOIN unnest($1::int[], $2::text[]) AS w(buyer, key) ON k.buyer_id = w.buyer AND k.key = w.key
LEFT JOIN bookings b ON b.id = k.booking_id
WHERE {_LIVE.format(ttl="$3")}
"""
_PURGE = """
DELETE FROM idempotency_keys WHERE (buyer_id, key) IN (
    SELECT buyer_id, key FROM idempotency_keys
    WHERE created_at < now() - make_interval(secs => $1) LIMIT $2)
"""


def key_use(row: asyncpg.Record) -> KeyUse:
    """A row of `USES` as what its key stands for."""
    booking = booking_from_row(row) if row["id"] is not None else None
    return KeyUse(Operation(row["key_operation"]), booking)


def uses_by_key(rows: list[asyncpg.Record]) -> dict[tuple[int, str], KeyUse]:
    """Rows of `USES` by (buyer id, key)."""
    return {(r["key_buyer"], r["key_text"]): key_use(r) for r in rows}


class PostgresKeyRepository:
    """Idempotency keys inside one unit of work's transaction; `ttl_s` in seconds."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def find(self, buyer_id: int, key: str, ttl_s: float) -> KeyUse | None:
        """What the buyer's live key stands for, or None."""
        rows = await self._conn.fetch(USES, [buyer_id], [key], ttl_s)
        return key_use(rows[0]) if rows else None

    async def claim(
        self, buyer_id: int, key: str, operation: Operation, booking_id: UUID, ttl_s: float
    ) -> bool:
        """Record the key in this transaction; False when a live row holds it already."""
        taken = await self._conn.fetch(
            CLAIM, [buyer_id], [key], [operation.value], [booking_id], ttl_s)
        return bool(taken)

    async def purge(self, ttl_s: float, limit: int) -> int:
        """Delete up to `limit` expired keys; how many were deleted."""
        status = await self._conn.execute(_PURGE, ttl_s, limit)
        return int(status.split()[-1])
