"""PostgreSQL refund repository: one transaction refunds tickets of one booking, frees their
seats and records what is paid back (spec/tickets.md, rule 15). Every move is a
compare-and-set from `lifecycle.REFUND` (or `lifecycle.REFUND_CANCELLED`, the event was
cancelled) / `lifecycle.REFUND_BOOKING`; row counts are checked."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from src.service.lifecycle import (
    LIVE_TICKETS,
    REFUND,
    REFUND_BOOKING,
    REFUND_CANCELLED,
    IssuedTicketTransition,
    sql_in,
)
from src.service.seats import SeatPosition
from src.service.ticketing.adapters.postgres_rows import stats_from_row
from src.service.ticketing.application.ticket_ports import RefundLost
from src.service.ticketing.application.ticket_views import RefundOutcome
from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.issued_ticket import IssuedTicket
from src.service.ticketing.domain.refund import Refund
from src.service.ticketing.domain.refund_policy import Quote

_SEAT_FROM, _SEAT_TO = REFUND.seat_move()
assert REFUND_CANCELLED.seat_move() == (_SEAT_FROM, _SEAT_TO), "both refunds free a sold seat"
_REFUND_TICKETS = {
    t.name: f"UPDATE issued_tickets SET status = '{t.target}', updated_at = now() "
    f"WHERE id = ANY($1::bigint[]) AND booking_id = $2 AND {t.guard()} RETURNING seat_id"
    for t in (REFUND, REFUND_CANCELLED)
}
_FREE_SEATS = (
    f"UPDATE tickets SET status = '{_SEAT_TO}', booking_id = NULL, updated_at = now() "
    f"WHERE id = ANY($1::bigint[]) AND booking_id = $2 AND status = '{_SEAT_FROM}'"
)
# The subsection counts are named after the seat statuses: move $4 seats between two.
_COUNT = (
    f"UPDATE subsection_stats SET {_SEAT_FROM} = {_SEAT_FROM} - $4, {_SEAT_TO} = {_SEAT_TO} + $4 "
    "WHERE event_id = $1 AND section = $2 AND subsection = $3 RETURNING *"
)
_RECORD = """
INSERT INTO refunds (ticket_id, booking_id, event_id, price, percent, amount)
SELECT r.ticket_id, $1, $2, r.price, r.percent, r.amount
FROM unnest($3::bigint[], $4::int[], $5::int[], $6::int[]) AS r(ticket_id, price, percent, amount)
RETURNING id
"""
_STANDING = (
    f"SELECT count(*) FROM issued_tickets WHERE booking_id = $1 AND "
    f"{sql_in('status', sorted(LIVE_TICKETS))}"
)
_REFUND_BOOKING = (
    f"UPDATE bookings SET status = '{REFUND_BOOKING.target}', updated_at = now() "
    f"WHERE id = $1 AND {REFUND_BOOKING.guard()}"
)
_WITH_SEAT = """
SELECT r.*, t.row, t.seat FROM refunds AS r
JOIN issued_tickets AS i ON i.id = r.ticket_id JOIN tickets AS t ON t.id = i.seat_id
WHERE r.id = ANY($1::bigint[]) ORDER BY r.id
"""
_PAID_OUT = (
    "UPDATE refunds SET provider_ref = $2, paid_out_at = now(), updated_at = now() "
    "WHERE id = $1 AND provider_ref IS NULL"
)
_RELEASED = "UPDATE refunds SET release_pending = false, updated_at = now() WHERE id = ANY($1)"
_CLAIM = """
UPDATE refunds AS r SET updated_at = now()
FROM (SELECT id FROM refunds WHERE (release_pending OR provider_ref IS NULL)
      AND updated_at < now() - make_interval(secs => $1) ORDER BY updated_at LIMIT $2
      FOR UPDATE SKIP LOCKED) AS s
WHERE r.id = s.id RETURNING r.id
"""


def refund_from_row(row: asyncpg.Record) -> Refund:
    """A `refunds` row joined with its seat as a domain refund."""
    return Refund(
        id=row["id"], ticket_id=row["ticket_id"], booking_id=row["booking_id"],
        event_id=row["event_id"], position=SeatPosition(row["row"], row["seat"]),
        price=row["price"], percent=row["percent"], amount=row["amount"],
        created_at=row["created_at"], provider_ref=row["provider_ref"],
        release_pending=row["release_pending"],
    )


class PostgresRefundRepository:
    """Refunds inside one unit of work's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def refund(
        self, booking: Booking, tickets: Sequence[IssuedTicket], quotes: Sequence[Quote],
        transition: IssuedTicketTransition = REFUND,
    ) -> RefundOutcome:
        """Refund the tickets of `booking` by `transition` (`REFUND` or `REFUND_CANCELLED`);
        raises `RefundLost` (the caller's transaction rolls back) when one was no longer in
        one of its sources."""
        ids = [t.id for t in tickets]
        statement = _REFUND_TICKETS[transition.name]
        seats = [r["seat_id"] for r in await self._conn.fetch(statement, ids, booking.id)]
        if len(seats) != len(ids):
            raise RefundLost(f"booking {booking.id}: {len(seats)} of {len(ids)} still "
                             f"refundable by {transition.name}")
        freed = await self._conn.execute(_FREE_SEATS, seats, booking.id)
        if int(freed.split()[-1]) != len(seats):
            raise RefundLost(f"booking {booking.id}: seats not sold to it")
        stats = await self._conn.fetchrow(_COUNT, booking.event_id, booking.section,
                                          booking.subsection, len(seats))
        recorded = await self._conn.fetch(
            _RECORD, booking.id, booking.event_id, ids, [q.price for q in quotes],
            [q.percent for q in quotes], [q.amount for q in quotes])
        rows = await self._conn.fetch(_WITH_SEAT, [r["id"] for r in recorded])
        last = await self._conn.fetchval(_STANDING, booking.id) == 0
        if last:
            await self._conn.execute(_REFUND_BOOKING, booking.id)
        return RefundOutcome(tuple(refund_from_row(r) for r in rows), stats_from_row(stats), last)

    async def paid_out(self, refund_id: int, provider_ref: str) -> None:
        """Record the provider's reference (once)."""
        await self._conn.execute(_PAID_OUT, refund_id, provider_ref)

    async def release_published(self, refund_ids: Sequence[int]) -> None:
        """The broker acknowledged these refunds' release."""
        await self._conn.execute(_RELEASED, list(refund_ids))

    async def claim_pending(self, older_than_s: float, limit: int) -> list[Refund]:
        """Claim unfinished refunds untouched for `older_than_s` seconds (SKIP LOCKED)."""
        claimed = await self._conn.fetch(_CLAIM, older_than_s, limit)
        rows = await self._conn.fetch(_WITH_SEAT, [r["id"] for r in claimed])
        return [refund_from_row(r) for r in rows]
