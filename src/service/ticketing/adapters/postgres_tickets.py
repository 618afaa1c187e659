"""PostgreSQL issued-ticket repository (spec/tickets.md). Every status change is a
compare-and-set whose `WHERE status …` comes from an `IssuedTicketTransition` of
`src/service/lifecycle.py`; the row counts are checked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from src.service.lifecycle import CHECK_IN, ISSUED, TRANSFER, IssuedTicketStatus, sql_in
from src.service.seats import SeatPosition
from src.service.ticketing.application.ticket_views import Page, TicketEvent, TicketView
from src.service.ticketing.domain.issued_ticket import Attendee, IssuedTicket, new_code

_SELECT = """
SELECT i.*, t.section, t.subsection, t.row, t.seat,
       e.name AS event_name, e.venue_name, e.seller_id
FROM issued_tickets AS i JOIN tickets AS t ON t.id = i.seat_id JOIN events AS e ON e.id = i.event_id
"""
_GET = _SELECT + "WHERE i.id = $1"
_MINE = (
    "i.holder_id = $1 AND ($2::int IS NULL OR i.event_id = $2) "
    "AND ($3::text IS NULL OR i.status = $3)"
)
_HELD_BY = _SELECT + f"WHERE {_MINE} ORDER BY i.id DESC LIMIT $4 OFFSET $5"
_COUNT_HELD_BY = f"SELECT count(*) FROM issued_tickets AS i WHERE {_MINE}"
_ISSUE = f"""
INSERT INTO issued_tickets (code, seat_id, event_id, booking_id, holder_id, price, status)
SELECT c.code, t.id, t.event_id, t.booking_id, $1, t.price, '{ISSUED}'
FROM unnest($2::bigint[], $3::text[]) AS c(id, code) JOIN tickets AS t ON t.id = c.id
"""
_SET_ATTENDEE = (
    "UPDATE issued_tickets SET attendee_name = $2, attendee_email = $3, updated_at = now() "
    f"WHERE id = $1 AND {sql_in('status', (IssuedTicketStatus.VALID,))}"
)

_BY_CODE = _SELECT + "WHERE i.code = $1"
_OF_BOOKING = _SELECT + "WHERE i.booking_id = $1 ORDER BY t.row, t.seat, i.id"
_CHECK_IN = (
    f"UPDATE issued_tickets SET status = '{CHECK_IN.target}', checked_in_at = $2, "
    f"checked_in_gate = $3, updated_at = now() WHERE id = $1 AND {CHECK_IN.guard()}"
)

_END_FOR_TRANSFER = (
    f"UPDATE issued_tickets SET status = '{TRANSFER.target}', updated_at = now() "
    f"WHERE id = $1 AND {TRANSFER.guard()} RETURNING *"
)
_REISSUE = f"""
INSERT INTO issued_tickets (code, seat_id, event_id, booking_id, holder_id, price, status,
                            previous_id)
VALUES ($1, $2, $3, $4, $5, $6, '{ISSUED}', $7) RETURNING id
"""


class IssueMismatch(Exception):
    """Fewer tickets were issued than seats were paid for."""


def issued_from_row(row: asyncpg.Record) -> IssuedTicket:
    """An `issued_tickets` row joined with its seat as a domain ticket."""
    name, email = row["attendee_name"], row["attendee_email"]
    return IssuedTicket(
        id=row["id"], code=row["code"], event_id=row["event_id"], booking_id=row["booking_id"],
        holder_id=row["holder_id"], section=row["section"], subsection=row["subsection"],
        position=SeatPosition(row["row"], row["seat"]), price=row["price"],
        status=IssuedTicketStatus(row["status"]), issued_at=row["issued_at"],
        attendee=Attendee(name, email) if name is not None else None,
        previous_id=row["previous_id"], checked_in_at=row["checked_in_at"],
        checked_in_gate=row["checked_in_gate"],
    )


def view_from_row(row: asyncpg.Record) -> TicketView:
    """A row of `_SELECT` as a ticket view."""
    event = TicketEvent(row["event_id"], row["event_name"], row["venue_name"], row["seller_id"])
    return TicketView(issued_from_row(row), event)


async def issue_tickets(conn: asyncpg.Connection, holder_id: int, seat_ids: Sequence[int]) -> None:
    """spec/tickets.md, rule 1: one `valid` ticket with a fresh code per paid seat, held by
    `holder_id`, in the caller's transaction; raises `IssueMismatch` on a short count."""
    done = await conn.execute(_ISSUE, holder_id, list(seat_ids), [new_code() for _ in seat_ids])
    if int(done.split()[-1]) != len(seat_ids):
        raise IssueMismatch(f"issued {done.split()[-1]} of {len(seat_ids)} tickets")


class PostgresIssuedTicketRepository:
    """Issued tickets inside one unit of work's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def get(self, ticket_id: int) -> TicketView | None:
        """The ticket with its event and seat, or None."""
        row = await self._conn.fetchrow(_GET, ticket_id)
        return view_from_row(row) if row else None

    async def held_by(
        self, holder_id: int, event_id: int | None, status: IssuedTicketStatus | None,
        limit: int, offset: int,
    ) -> Page[TicketView]:
        """One page of the holder's tickets, newest first, and how many match in all."""
        args = (holder_id, event_id, str(status) if status else None)
        rows = await self._conn.fetch(_HELD_BY, *args, limit, offset)
        total = await self._conn.fetchval(_COUNT_HELD_BY, *args)
        return Page(tuple(view_from_row(r) for r in rows), total, limit, offset)

    async def set_attendee(self, ticket_id: int, attendee: Attendee) -> bool:
        """Compare-and-set on `valid`; False when the ticket was no longer valid."""
        done = await self._conn.execute(_SET_ATTENDEE, ticket_id, attendee.name, attendee.email)
        return done != "UPDATE 0"

    async def by_code(self, code: str) -> IssuedTicket | None:
        """The ticket with this code, or None."""
        row = await self._conn.fetchrow(_BY_CODE, code)
        return issued_from_row(row) if row else None

    async def check_in(self, ticket_id: int, at: datetime, gate: str | None) -> bool:
        """Compare-and-set by `CHECK_IN`; False when the ticket was no longer valid."""
        return await self._conn.execute(_CHECK_IN, ticket_id, at, gate) != "UPDATE 0"

    async def transfer(self, ticket: IssuedTicket, recipient_id: int, code: str) -> int | None:
        """Compare-and-set by `TRANSFER`, then the recipient's new ticket; None when lost."""
        old = await self._conn.fetchrow(_END_FOR_TRANSFER, ticket.id)
        if old is None:
            return None
        return await self._conn.fetchval(
            _REISSUE, code, old["seat_id"], old["event_id"], old["booking_id"], recipient_id,
            old["price"], old["id"],
        )

    async def of_booking(self, booking_id: UUID) -> list[IssuedTicket]:
        """Every ticket of the booking (its successors by transfer too), seat by seat."""
        return [issued_from_row(r) for r in await self._conn.fetch(_OF_BOOKING, booking_id)]
