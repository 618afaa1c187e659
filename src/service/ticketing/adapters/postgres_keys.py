"""Idempotency-Keys in PostgreSQL: per buyer, what each key was first used for
(spec/architecture.md, guarantee 9; spec/decisions.md, "Idempotency keys live next to what
they guard").

A create key lives in its booking's row (`bookings.idempotency_key`, unique per buyer among
non-NULL keys), written by the group commit's insert itself; it counts from the booking's
`created_at` and, once older than the TTL, as absent: its next use clears it from the old
booking (`TAKEN`) and inserts again. Pay and cancel keys live in `idempotency_keys`, claimed
in the compare-and-set's transaction; a row older than the TTL counts as absent, may be taken
over, and is deleted by the outbox relay's sweep. The two places share one namespace per
buyer: each claim refuses a key live in the other place."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from src.service.ticketing.adapters.postgres_bookings import booking_from_row
from src.service.ticketing.domain.idempotency import KeyUse, Operation


def live_key_row(of: str, ttl: str) -> str:
    """SQL: a live row of `idempotency_keys` holds key `{of}.key` of buyer `{of}.buyer` (`ttl`:
    the parameter giving the TTL in seconds, e.g. "$12")."""
    return f"""EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.buyer_id = {of}.buyer
    AND k.key = {of}.key AND k.created_at >= now() - make_interval(secs => {ttl}))"""


def live_key_booking(of: str, ttl: str) -> str:
    """SQL: a live booking of buyer `{of}.buyer` was created under key `{of}.key`."""
    return f"""EXISTS (SELECT 1 FROM bookings o WHERE o.buyer_id = {of}.buyer
    AND o.idempotency_key = {of}.key AND o.idempotency_key IS NOT NULL
    AND o.created_at >= now() - make_interval(secs => {ttl}))"""


# Claims pay/cancel keys: a new key, or one whose row expired, is taken (and RETURNed); a live
# row is kept, and so is a key a live booking was created under.
CLAIM = f"""
INSERT INTO idempotency_keys AS k (buyer_id, key, operation, booking_id)
SELECT c.buyer, c.key, c.operation, c.booking
FROM unnest($1::int[], $2::text[], $3::text[], $4::uuid[]) AS c(buyer, key, operation, booking)
WHERE NOT {live_key_booking("c", "$5")}
ON CONFLICT (buyer_id, key) DO UPDATE
SET operation = EXCLUDED.operation, booking_id = EXCLUDED.booking_id, created_at = now()
WHERE k.created_at < now() - make_interval(secs => $5)
RETURNING k.booking_id
"""
# What live keys stand for, from both places; `b.id` is NULL when the booking of a pay/cancel
# (or pre-0011 create) key no longer exists.
USES = f"""
SELECT w.buyer AS key_buyer, w.key AS key_text, '{Operation.CREATE.value}' AS key_operation, b.*
FROM unnest($1::int[], $2::text[]) AS w(buyer, key)
JOIN bookings b ON b.buyer_id = w.buyer AND b.idempotency_key = w.key
WHERE b.idempotency_key IS NOT NULL AND b.created_at >= now() - make_interval(secs => $3)
UNION ALL
SELECT k.buyer_id, k.key, k.operation, b.*
FROM idempotency_keys k
JOIN unnest($1::int[], $2::text[]) AS w(buyer, key) ON k.buyer_id = w.buyer AND k.key = w.key
LEFT JOIN bookings b ON b.id = k.booking_id
WHERE k.created_at >= now() - make_interval(secs => $3)
"""
# The group commit's way for keys it could not insert (spec/architecture.md, guarantee 9):
# clears each of those create keys from a booking older than the TTL, so a retried insert may
# take it, and reads what the live ones stand for, in one statement. The clear is a
# compare-and-set on the age (re-checked on the locked row): a key a newer booking took
# meanwhile is not touched.
TAKEN = f"""
WITH cleared AS (
    UPDATE bookings o SET idempotency_key = NULL
    FROM unnest($1::int[], $2::text[]) AS c(buyer, key)
    WHERE o.buyer_id = c.buyer AND o.idempotency_key = c.key AND o.idempotency_key IS NOT NULL
      AND o.created_at < now() - make_interval(secs => $3)
    RETURNING o.id)
{USES}"""
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
        """What the buyer's live key stands for (a create key from its booking, a pay or
        cancel key from `idempotency_keys`), or None."""
        rows = await self._conn.fetch(USES, [buyer_id], [key], ttl_s)
        return key_use(rows[-1]) if rows else None

    async def claim(
        self, buyer_id: int, key: str, operation: Operation, booking_id: UUID, ttl_s: float
    ) -> bool:
        """Record the key in this transaction; False when a live row holds it already, or a
        live booking was created under it."""
        taken = await self._conn.fetch(
            CLAIM, [buyer_id], [key], [operation.value], [booking_id], ttl_s)
        return bool(taken)

    async def purge(self, ttl_s: float, limit: int) -> int:
        """Delete up to `limit` expired rows of `idempotency_keys`; how many were deleted.
        Expired create keys stay in their bookings, absent to every read."""
        status = await self._conn.execute(_PURGE, ttl_s, limit)
        return int(status.split()[-1])
