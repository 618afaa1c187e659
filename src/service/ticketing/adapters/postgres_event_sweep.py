"""PostgreSQL reads of a cancelled event's sweep: its bookings still open, its paid bookings
with a ticket that still stands (valid or checked in), and the cancelled events that still
have either (spec/tickets.md, rule 19). Every move itself is the booking's or the ticket's
own compare-and-set."""

from __future__ import annotations

import asyncpg

from src.service.lifecycle import CANCEL_EVENT, OPEN, PAY, REFUND_CANCELLED, sql_in
from src.service.ticketing.adapters.postgres_bookings import booking_from_row
from src.service.ticketing.domain.booking import Booking

_OPEN = (
    f"SELECT * FROM bookings WHERE event_id = $1 AND {sql_in('status', OPEN)} "
    "ORDER BY id LIMIT $2"
)
# A ticket that still stands for its seat, admitted at the door or not: refunded in full.
_STANDING = REFUND_CANCELLED.guard("i.status")
_STANDING_TICKET = (
    f"SELECT 1 FROM issued_tickets AS i WHERE i.booking_id = b.id AND {_STANDING}"
)
_REFUNDABLE = (
    f"SELECT b.* FROM bookings AS b WHERE b.event_id = $1 AND b.status = '{PAY.target}' "
    f"AND EXISTS ({_STANDING_TICKET}) ORDER BY b.id LIMIT $2"
)
_LEFT_OVER = (
    f"SELECT e.id FROM events AS e WHERE e.status = '{CANCEL_EVENT.target}' AND (EXISTS ("
    f"SELECT 1 FROM bookings AS b WHERE b.event_id = e.id AND {sql_in('b.status', OPEN)}) "
    "OR EXISTS (SELECT 1 FROM issued_tickets AS i WHERE i.event_id = e.id AND "
    f"{_STANDING})) ORDER BY e.id LIMIT $1"
)


class PostgresEventSweepRepository:
    """The sweep's reads inside one unit of work's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def open_bookings(self, event_id: int, limit: int) -> list[Booking]:
        """Open bookings of the event, oldest first."""
        return [booking_from_row(r) for r in await self._conn.fetch(_OPEN, event_id, limit)]

    async def refundable(self, event_id: int, limit: int) -> list[Booking]:
        """Paid bookings of the event that still have a valid or checked-in ticket, oldest
        first."""
        rows = await self._conn.fetch(_REFUNDABLE, event_id, limit)
        return [booking_from_row(r) for r in rows]

    async def cancelled_with_bookings_left(self, limit: int) -> list[int]:
        """Cancelled events with an open booking or a standing ticket (a partial index finds the
        cancelled events)."""
        return [r["id"] for r in await self._conn.fetch(_LEFT_OVER, limit)]
