"""PostgreSQL event terms: dates and refund settings, columns of `events` (spec/tickets.md,
rule 13)."""

from __future__ import annotations

import json

import asyncpg

from src.service.ticketing.domain.refund_policy import DEFAULT_TIERS, EventTerms, RefundTier

_SET = """
UPDATE events SET starts_at = $2, ends_at = $3, refunds_enabled = $4, refund_policy = $5::jsonb,
    timezone = $6
WHERE id = $1
"""


def terms_from_row(row: asyncpg.Record) -> EventTerms:
    """The terms of an `events` row; a NULL `refund_policy` is the default policy."""
    raw = row["refund_policy"]
    tiers = DEFAULT_TIERS if raw is None else tuple(
        RefundTier(t["days_before"], t["percent"]) for t in json.loads(raw))
    return EventTerms(row["starts_at"], row["ends_at"], row["refunds_enabled"], tiers,
                      row["timezone"])


class PostgresEventTermsRepository:
    """Writes the terms of one event inside a unit of work's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def set(self, event_id: int, terms: EventTerms) -> None:
        """Store the terms; the default policy is stored as NULL."""
        policy = None if terms.tiers == DEFAULT_TIERS else json.dumps(
            [{"days_before": t.days_before, "percent": t.percent} for t in terms.tiers])
        await self._conn.execute(_SET, event_id, terms.starts_at, terms.ends_at,
                                 terms.refunds_enabled, policy, terms.timezone)
