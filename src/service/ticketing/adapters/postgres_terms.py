"""PostgreSQL event terms: dates and refund settings (spec/tickets.md, rule 13), on-sale rules,
details and layout (spec/booking.md, rules 10–13); columns of `events`, and the seats a layout
has."""

from __future__ import annotations

import json

import asyncpg

from src.service.lifecycle import TicketStatus
from src.service.ticketing.adapters.postgres_holdings import FREEZE_BOOKINGS, recount_holdings
from src.service.ticketing.domain.refund_policy import DEFAULT_TIERS, EventTerms, RefundTier
from src.service.ticketing.domain.sales import SalesPolicy
from src.service.ticketing.domain.seating import SeatingConfig

TICKET_COLUMNS = ["event_id", "section", "subsection", "row", "seat", "price"]

_SET = """
UPDATE events SET starts_at = $2, ends_at = $3, refunds_enabled = $4, refund_policy = $5::jsonb,
    timezone = $6
WHERE id = $1
"""
_SET_SALES = """
UPDATE events SET sales_start = $2, sales_end = $3, max_tickets_per_buyer = $4,
    one_open_booking_per_buyer = $5
WHERE id = $1
"""
_SET_DETAILS = "UPDATE events SET name = $2, description = $3, venue_name = $4 WHERE id = $1"
_SET_HOLD = "UPDATE events SET hold_seconds = $2 WHERE id = $1"
_SET_LAYOUT = "UPDATE events SET seating_config = $2::jsonb WHERE id = $1"
# New prices for the seats nobody holds; a held or sold seat keeps its booking's price.
_REPRICE = f"""
UPDATE tickets t SET price = p.price, updated_at = now()
FROM unnest($2::text[], $3::int[]) AS p(section, price)
WHERE t.event_id = $1 AND t.section = p.section AND t.status = '{TicketStatus.AVAILABLE}'
  AND t.price <> p.price
"""
_LOCK = "SELECT true FROM events WHERE id = $1 FOR UPDATE"
# A statement of its own after the lock: under READ COMMITTED its snapshot is taken once the
# lock is held, so it sees a booking whose insert the lock waited for (in the same statement
# as the lock it would not).
_BOOKED = "SELECT EXISTS (SELECT 1 FROM bookings WHERE event_id = $1)"


def sales_from_row(row: asyncpg.Record) -> SalesPolicy:
    """The on-sale rules of an `events` row."""
    return SalesPolicy(row["sales_start"], row["sales_end"], row["max_tickets_per_buyer"],
                       row["one_open_booking_per_buyer"])


async def insert_seats(conn: asyncpg.Connection, event_id: int, config: SeatingConfig) -> None:
    """One available ticket per seat of `config` (COPY) and zeroed subsection stats."""
    rows, cols = config.rows, config.cols
    subsections = [(s, n) for s in config.sections for n in range(1, s.subsections + 1)]
    await conn.copy_records_to_table(
        "tickets", columns=TICKET_COLUMNS,
        records=(
            (event_id, s.name, n, r, c, s.price)
            for s, n in subsections for r in range(1, rows + 1) for c in range(1, cols + 1)
        ),
    )
    await conn.executemany(
        "INSERT INTO subsection_stats (event_id, section, subsection, total, available) "
        "VALUES ($1, $2, $3, $4, $4)",
        [(event_id, s.name, n, rows * cols) for s, n in subsections],
    )


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

    async def set_sales(self, event_id: int, sales: SalesPolicy) -> None:
        """Store the sale window and the per-buyer limits."""
        await self._conn.execute(_SET_SALES, event_id, sales.sales_start, sales.sales_end,
                                 sales.max_tickets_per_buyer, sales.one_open_booking_per_buyer)

    async def recount_holdings(self, event_id: int, limited: bool) -> None:
        """The event's per-buyer counters made again from its bookings, or dropped."""
        await recount_holdings(self._conn, event_id, limited)

    async def set_details(
        self, event_id: int, name: str, description: str, venue_name: str
    ) -> None:
        """Store name, description and venue."""
        await self._conn.execute(_SET_DETAILS, event_id, name, description, venue_name)

    async def set_hold_seconds(self, event_id: int, hold_seconds: int | None) -> None:
        """Store the payment deadline of bookings held from now on."""
        await self._conn.execute(_SET_HOLD, event_id, hold_seconds)

    async def set_layout(self, event_id: int, config: SeatingConfig, reseat: bool) -> None:
        """Store the layout; reprice the available seats, or (`reseat`) make every seat and
        stats row again."""
        await self._conn.execute(_SET_LAYOUT, event_id, json.dumps(config.to_dict()))
        if reseat:
            await self._conn.execute("DELETE FROM tickets WHERE event_id = $1", event_id)
            await self._conn.execute("DELETE FROM subsection_stats WHERE event_id = $1",
                                     event_id)
            await insert_seats(self._conn, event_id, config)
            return
        await self._conn.execute(_REPRICE, event_id, [s.name for s in config.sections],
                                 [s.price for s in config.sections])

    async def lock(self, event_id: int, freeze_bookings: bool = False) -> bool | None:
        """`SELECT … FOR UPDATE` of the event (a booking's insert takes `FOR KEY SHARE` on it
        for its foreign key, so the two wait for each other); whether it has a booking. With
        `freeze_bookings`, first `LOCK TABLE bookings IN SHARE MODE`: taken before the row,
        so a booking's insert (which holds its table lock while it waits for the row) never
        waits for us while we wait for it."""
        if freeze_bookings:
            await self._conn.execute(FREEZE_BOOKINGS)
        if await self._conn.fetchval(_LOCK, event_id) is None:
            return None
        return bool(await self._conn.fetchval(_BOOKED, event_id))
