"""PostgreSQL booking repository: every status change is a compare-and-set whose row count is
checked (DESIGN.md §3.2)."""

from __future__ import annotations

import secrets
from datetime import datetime
from uuid import UUID

import asyncpg

from src.service.ticketing.domain.booking import Booking, BookingStatus, SeatSelectionMode
from src.service.ticketing.domain.event import SubsectionStats
from src.service.ticketing.domain.seating import SeatingConfig


class SeatStateConflict(Exception):
    """Tickets and booking disagree (e.g. fewer reserved tickets than booked seats)."""


def stats_from_row(row: asyncpg.Record, config: SeatingConfig | None = None) -> SubsectionStats:
    """A `subsection_stats` row as domain stats; the price comes from `config` when given."""
    section = config.section(row["section"]) if config else None
    return SubsectionStats(
        section=row["section"], subsection=row["subsection"],
        price=section.price if section else 0, total=row["total"],
        available=row["available"], reserved=row["reserved"], sold=row["sold"],
    )


def _booking(row: asyncpg.Record) -> Booking:
    return Booking(
        id=row["id"], buyer_id=row["buyer_id"], event_id=row["event_id"],
        section=row["section"], subsection=row["subsection"], quantity=row["quantity"],
        seat_selection_mode=SeatSelectionMode(row["seat_selection_mode"]),
        seat_positions=list(row["seat_positions"]), total_price=row["total_price"],
        status=BookingStatus(row["status"]), created_at=row["created_at"],
        updated_at=row["updated_at"], paid_at=row["paid_at"],
        failure_reason=row["failure_reason"], publish_attempts=row["publish_attempts"],
    )


_MOVE_STATS = (
    "UPDATE subsection_stats SET {change} "
    "WHERE event_id = $1 AND section = $2 AND subsection = $3 RETURNING *"
)


class PostgresBookingRepository:
    """Bookings and the tickets they hold."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, booking: Booking) -> None:
        await self._conn.execute(
            "INSERT INTO bookings (id, buyer_id, event_id, section, subsection, quantity, "
            "seat_selection_mode, seat_positions, total_price, status, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
            booking.id, booking.buyer_id, booking.event_id, booking.section, booking.subsection,
            booking.quantity, booking.seat_selection_mode.value, booking.seat_positions,
            booking.total_price, booking.status.value, booking.created_at,
        )

    async def get(self, booking_id: UUID) -> Booking | None:
        row = await self._conn.fetchrow(
            "SELECT b.*, e.name AS event_name, e.venue_name, u.name AS buyer_name, "
            "u.email AS buyer_email FROM bookings b JOIN events e ON e.id = b.event_id "
            "JOIN users u ON u.id = b.buyer_id WHERE b.id = $1",
            booking_id,
        )
        if row is None:
            return None
        booking = _booking(row)
        booking.event = {"id": row["event_id"], "name": row["event_name"],
                         "venue_name": row["venue_name"]}
        booking.buyer = {"id": row["buyer_id"], "name": row["buyer_name"],
                         "email": row["buyer_email"]}
        tickets = await self._conn.fetch(
            "SELECT id, section, subsection, row, seat, price, status, code FROM tickets "
            "WHERE booking_id = $1 ORDER BY row, seat",
            booking_id,
        )
        booking.tickets = [dict(t) | {"seat_position": f"{t['row']}-{t['seat']}"}
                           for t in tickets]
        return booking

    async def list(
        self, *, buyer_id: int | None, seller_id: int | None,
        statuses: tuple[BookingStatus, ...] = (), event_id: int | None = None,
    ) -> list[Booking]:
        rows = await self._conn.fetch(
            "SELECT b.* FROM bookings b JOIN events e ON e.id = b.event_id "
            "WHERE ($1::int IS NULL OR b.buyer_id = $1) AND ($2::int IS NULL OR e.seller_id = $2) "
            "AND (cardinality($3::text[]) = 0 OR b.status = ANY($3)) "
            "AND ($4::int IS NULL OR b.event_id = $4) ORDER BY b.id DESC LIMIT 500",
            buyer_id, seller_id, [s.value for s in statuses], event_id,
        )
        return [_booking(r) for r in rows]

    async def on_event(
        self, buyer_id: int, event_id: int, final_since: datetime
    ) -> list[Booking]:
        rows = await self._conn.fetch(
            "SELECT * FROM bookings WHERE buyer_id = $1 AND event_id = $2 "
            "AND (status IN ('processing', 'pending_payment') OR updated_at >= $3) "
            "ORDER BY id LIMIT 100",
            buyer_id, event_id, final_since,
        )
        return [_booking(r) for r in rows]

    async def cancel(self, booking: Booking) -> tuple[Booking, SubsectionStats | None] | None:
        row = await self._conn.fetchrow(
            "UPDATE bookings SET status = 'cancelled', release_pending = true, "
            "updated_at = now() WHERE id = $1 AND status = $2 RETURNING *",
            booking.id, booking.status.value,
        )
        if row is None:
            return None
        if booking.status is not BookingStatus.PENDING_PAYMENT:
            return _booking(row), None
        freed = await self._conn.execute(
            "UPDATE tickets SET status = 'available', booking_id = NULL, updated_at = now() "
            "WHERE booking_id = $1 AND status = 'reserved'",
            booking.id,
        )
        count = int(freed.split()[-1])
        if count != booking.quantity:
            raise SeatStateConflict(f"booking {booking.id}: {count} reserved tickets")
        stats = await self._move_stats(booking, "available = available + $4, "
                                                "reserved = reserved - $4", count)
        return _booking(row), stats

    async def release_published(self, booking_id: UUID) -> None:
        await self._conn.execute(
            "UPDATE bookings SET release_pending = false WHERE id = $1", booking_id
        )

    async def pay(self, booking: Booking) -> tuple[Booking, SubsectionStats] | None:
        row = await self._conn.fetchrow(
            "UPDATE bookings SET status = 'completed', paid_at = now(), updated_at = now() "
            "WHERE id = $1 AND status = 'pending_payment' RETURNING *",
            booking.id,
        )
        if row is None:
            return None
        ids = await self._conn.fetch(
            "SELECT id FROM tickets WHERE booking_id = $1 AND status = 'reserved' FOR UPDATE",
            booking.id,
        )
        if len(ids) != booking.quantity:
            raise SeatStateConflict(f"booking {booking.id}: {len(ids)} reserved tickets")
        await self._conn.execute(
            "UPDATE tickets t SET status = 'sold', code = c.code, updated_at = now() "
            "FROM unnest($1::bigint[], $2::text[]) AS c(id, code) WHERE t.id = c.id",
            [r["id"] for r in ids], [secrets.token_urlsafe(12) for _ in ids],
        )
        stats = await self._move_stats(booking, "reserved = reserved - $4, sold = sold + $4",
                                       len(ids))
        return _booking(row), stats

    async def _move_stats(self, booking: Booking, change: str, count: int) -> SubsectionStats:
        row = await self._conn.fetchrow(
            _MOVE_STATS.format(change=change),
            booking.event_id, booking.section, booking.subsection, count,
        )
        return stats_from_row(row)

    async def claim_stale(self, older_than_s: float, limit: int) -> list[Booking]:
        rows = await self._conn.fetch(
            "UPDATE bookings b SET updated_at = now(), publish_attempts = b.publish_attempts + 1 "
            "FROM (SELECT id FROM bookings WHERE (status = 'processing' OR release_pending) "
            "AND updated_at < now() - make_interval(secs => $1) ORDER BY updated_at LIMIT $2 "
            "FOR UPDATE SKIP LOCKED) s WHERE b.id = s.id RETURNING b.*",
            older_than_s, limit,
        )
        return [_booking(r) for r in rows]

    async def fail(self, booking_id: UUID, reason: str) -> bool:
        done = await self._conn.execute(
            "UPDATE bookings SET status = 'failed', failure_reason = $2, updated_at = now() "
            "WHERE id = $1 AND status = 'processing'",
            booking_id, reason,
        )
        return done.endswith(" 1")
