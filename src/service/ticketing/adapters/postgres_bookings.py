"""PostgreSQL booking repository: every status change is a compare-and-set taken from a
`src.service.lifecycle.Transition`, and its row count is checked (spec/architecture.md,
guarantee 2)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from src.service.lifecycle import (
    GIVE_UP,
    INITIAL,
    OPEN,
    PAY,
    BookingStatus,
    Transition,
    sql_in,
    values,
)
from src.service.seats import parse_all
from src.service.ticketing.adapters.postgres_expiry import expire_rows
from src.service.ticketing.adapters.postgres_rows import stats_from_row, ticket_from_row
from src.service.ticketing.adapters.postgres_tickets import issue_tickets
from src.service.ticketing.application.views import (
    BookingView,
    BuyerSummary,
    EventSummary,
    Expiry,
    OutboxEntry,
)
from src.service.ticketing.domain.booking import Booking, FailureReason, SeatSelectionMode
from src.service.ticketing.domain.event import SubsectionStats


class SeatStateConflict(Exception):
    """Tickets and booking disagree (e.g. fewer reserved tickets than booked seats)."""


def booking_from_row(row: asyncpg.Record) -> Booking:
    """A `bookings` row as a domain booking."""
    return Booking(
        id=row["id"], buyer_id=row["buyer_id"], event_id=row["event_id"],
        section=row["section"], subsection=row["subsection"], quantity=row["quantity"],
        seat_selection_mode=SeatSelectionMode(row["seat_selection_mode"]),
        seat_positions=parse_all(row["seat_positions"]), total_price=row["total_price"],
        status=BookingStatus(row["status"]), created_at=row["created_at"],
        updated_at=row["updated_at"], paid_at=row["paid_at"],
        failure_reason=row["failure_reason"], expires_at=row["expires_at"],
    )


def _move_bookings(transition: Transition, extra: str = "", which: str = "id = $1") -> str:
    return (f"UPDATE bookings SET status = '{transition.target}'{extra}, updated_at = now() "
            f"WHERE {which} AND {transition.guard()} RETURNING *")


def _move_tickets(transition: Transition, extra: str = "") -> str:
    return (f"UPDATE tickets SET status = '{transition.ticket_move()[1]}'{extra}, "
            "updated_at = now() "
            f"WHERE booking_id = $1 AND {transition.tickets_guard()}")


def _move_stats(transition: Transition) -> str:
    """The subsection counts are named after ticket statuses: move $4 seats between two."""
    old, new = transition.ticket_move()
    return (f"UPDATE subsection_stats SET {old} = {old} - $4, {new} = {new} + $4 "
            "WHERE event_id = $1 AND section = $2 AND subsection = $3 RETURNING *")


_VIEW = (
    "SELECT b.*, e.name AS event_name, e.venue_name, u.name AS buyer_name, "
    "u.email AS buyer_email FROM bookings b JOIN events e ON e.id = b.event_id "
    "JOIN users u ON u.id = b.buyer_id WHERE b.id = $1"
)
# A seat's code is that of the ticket its booking's payment issued (spec/tickets.md, rule 1).
_TICKETS = (
    "SELECT t.id, t.event_id, t.section, t.subsection, t.row, t.seat, t.price, t.status, i.code "
    "FROM tickets AS t LEFT JOIN issued_tickets AS i ON i.seat_id = t.id "
    "AND i.booking_id = t.booking_id AND i.previous_id IS NULL "
    "WHERE t.booking_id = $1 ORDER BY t.row, t.seat"
)
_LIST = (
    "SELECT b.* FROM bookings b JOIN events e ON e.id = b.event_id "
    "WHERE ($1::int IS NULL OR b.buyer_id = $1) AND ($2::int IS NULL OR e.seller_id = $2) "
    "AND (cardinality($3::text[]) = 0 OR b.status = ANY($3)) ORDER BY b.id DESC LIMIT 500"
)
_ON_EVENT = (
    "SELECT * FROM bookings WHERE buyer_id = $1 AND event_id = $2 "
    f"AND ({sql_in('status', OPEN)} OR updated_at >= $3) ORDER BY id LIMIT 100"
)
# Pay and expiry race on the deadline: both are compare-and-sets on `pending_payment`, and pay
# also on `expires_at` being later than the caller's now, so exactly one of them wins
# (spec/booking.md, rule 6).
_PAY = _move_bookings(PAY, ", paid_at = now()",
                      "id = $1 AND (expires_at IS NULL OR expires_at > $2)")
_PAY_TICKETS = (
    f"SELECT id FROM tickets WHERE booking_id = $1 AND {PAY.tickets_guard()} FOR UPDATE"
)
# A seat sells at what its booking pays, whatever the section costs now (spec/booking.md,
# rule 13: a price change applies only to bookings made after it).
_SELL = (
    f"UPDATE tickets SET status = '{PAY.ticket_move()[1]}', price = $2, updated_at = now() "
    "WHERE id = ANY($1::bigint[])"
)
# A release owed (cancel, give up) is re-sent from its first attempt's backoff on.
_RELEASE = ", release_pending = true, publish_attempts = 1"
# Rows being settled right now (locked) are skipped: never a wait on, or a deadlock with, the
# reservation service's batch; the next sweep looks at them again.
_GIVE_UP = _move_bookings(
    GIVE_UP, f", failure_reason = $2{_RELEASE}",
    "id IN (SELECT id FROM bookings WHERE id = ANY($1::uuid[]) FOR UPDATE SKIP LOCKED)",
)
_OVERDUE = (
    f"SELECT * FROM bookings WHERE status = '{INITIAL}' "
    "AND created_at < now() - make_interval(secs => $1) ORDER BY created_at LIMIT $2"
)
# The outbox: unacknowledged BookingCreated of processing bookings, and releases not yet
# acknowledged, whose next re-send is due: the Nth re-send (publish_attempts = N) waits
# $1 × 2^(N-1) seconds, at most $2, since the last one. The first bound lets the partial
# indexes on updated_at (migration 0003) narrow the scan.
_CLAIM_STALE = (
    "UPDATE bookings b SET updated_at = now(), publish_attempts = b.publish_attempts + 1 "
    f"FROM (SELECT id FROM bookings WHERE ((status = '{INITIAL}' AND NOT command_acked) "
    "OR release_pending) AND updated_at < now() - make_interval(secs => $1) "
    "AND updated_at < now() - make_interval(secs => "
    "LEAST($2, $1 * power(2, publish_attempts - 1))) "
    "ORDER BY updated_at LIMIT $3 FOR UPDATE SKIP LOCKED) s WHERE b.id = s.id RETURNING b.*"
)


class PostgresBookingRepository:
    """Bookings and the tickets they hold, inside one unit of work's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def get(self, booking_id: UUID) -> Booking | None:
        """The booking, or None."""
        row = await self._conn.fetchrow("SELECT * FROM bookings WHERE id = $1", booking_id)
        return booking_from_row(row) if row else None

    async def view(self, booking_id: UUID) -> BookingView | None:
        """The booking with its event, buyer and tickets, or None."""
        row = await self._conn.fetchrow(_VIEW, booking_id)
        if row is None:
            return None
        tickets = await self._conn.fetch(_TICKETS, booking_id)
        return BookingView(
            booking=booking_from_row(row),
            event=EventSummary(row["event_id"], row["event_name"], row["venue_name"]),
            buyer=BuyerSummary(row["buyer_id"], row["buyer_name"], row["buyer_email"]),
            tickets=tuple(ticket_from_row(t) for t in tickets),
        )

    async def find(
        self, *, buyer_id: int | None, seller_id: int | None,
        statuses: tuple[BookingStatus, ...] = (),
    ) -> list[Booking]:
        """Newest first, at most 500; every filter that is given must hold."""
        rows = await self._conn.fetch(_LIST, buyer_id, seller_id, values(statuses))
        return [booking_from_row(r) for r in rows]

    async def on_event(
        self, buyer_id: int, event_id: int, final_since: datetime
    ) -> list[Booking]:
        """Open bookings of a buyer on an event, and those final since `final_since`."""
        rows = await self._conn.fetch(_ON_EVENT, buyer_id, event_id, final_since)
        return [booking_from_row(r) for r in rows]

    async def cancel(
        self, booking: Booking, transition: Transition
    ) -> tuple[Booking, SubsectionStats | None] | None:
        """Compare-and-set by a cancel transition; frees the tickets it holds."""
        row = await self._conn.fetchrow(_move_bookings(transition, _RELEASE), booking.id)
        if row is None:
            return None
        if transition.tickets is None:
            return booking_from_row(row), None
        freed = await self._conn.execute(
            _move_tickets(transition, ", booking_id = NULL"), booking.id
        )
        count = int(freed.split()[-1])
        if count != booking.quantity:
            raise SeatStateConflict(f"booking {booking.id}: {count} reserved tickets")
        return booking_from_row(row), await self._stats(booking, transition, count)

    async def release_published(self, booking_ids: list[UUID]) -> None:
        """The broker acknowledged these bookings' release."""
        await self._conn.execute(
            "UPDATE bookings SET release_pending = false WHERE id = ANY($1::uuid[])", booking_ids
        )

    async def pay(
        self, booking: Booking, now: datetime
    ) -> tuple[Booking, SubsectionStats] | None:
        """Compare-and-set by `PAY` before the deadline; its seats are sold and one ticket per
        seat is issued with an unguessable code (spec/tickets.md, rule 1)."""
        row = await self._conn.fetchrow(_PAY, booking.id, now)
        if row is None:
            return None
        ids = [r["id"] for r in await self._conn.fetch(_PAY_TICKETS, booking.id)]
        if len(ids) != booking.quantity:
            raise SeatStateConflict(f"booking {booking.id}: {len(ids)} reserved tickets")
        paid = booking_from_row(row)
        await self._conn.execute(_SELL, ids, paid.total_price // paid.quantity)
        await issue_tickets(self._conn, booking.buyer_id, ids)
        return paid, await self._stats(booking, PAY, len(ids))

    async def expire_due(self, now: datetime, limit: int) -> Expiry:
        """Compare-and-set by `EXPIRE` of up to `limit` bookings due at `now` (SKIP LOCKED),
        their tickets freed and counted (`postgres_expiry.py`)."""
        bookings, counts = await expire_rows(self._conn, now, limit)
        return Expiry(tuple(booking_from_row(b) for b in bookings),
                      tuple((c["event_id"], stats_from_row(c)) for c in counts))

    async def _stats(self, booking: Booking, transition: Transition, count: int) -> SubsectionStats:
        row = await self._conn.fetchrow(
            _move_stats(transition), booking.event_id, booking.section, booking.subsection, count
        )
        return stats_from_row(row)

    async def claim_stale(
        self, older_than_s: float, backoff_cap_s: float, limit: int
    ) -> list[OutboxEntry]:
        """Claim outbox rows whose re-send is due (SKIP LOCKED), bumping their attempts."""
        rows = await self._conn.fetch(_CLAIM_STALE, older_than_s, backoff_cap_s, limit)
        return [OutboxEntry(booking_from_row(r), r["publish_attempts"], r["release_pending"])
                for r in rows]

    async def overdue(self, deadline_s: float, limit: int) -> list[Booking]:
        """Bookings processing for more than `deadline_s` seconds since created, oldest first."""
        return [booking_from_row(r) for r in await self._conn.fetch(_OVERDUE, deadline_s, limit)]

    async def give_up(self, booking_ids: list[UUID], reason: FailureReason) -> list[Booking]:
        """Compare-and-set by `GIVE_UP` for all of them; those still processing, now failed."""
        rows = await self._conn.fetch(_GIVE_UP, booking_ids, reason.value)
        return [booking_from_row(r) for r in rows]
