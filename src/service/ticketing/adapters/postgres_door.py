"""PostgreSQL door repository: event staff and the append-only scan log (spec/tickets.md,
rules 8–11). The log table refuses UPDATE and DELETE itself (migration 0004)."""

from __future__ import annotations

import asyncpg

from src.service.lifecycle import LIVE_TICKETS, IssuedTicketStatus, ScanOutcome, sql_in
from src.service.ticketing.application.ticket_views import Page
from src.service.ticketing.domain.check_in import ScanRecord
from src.service.ticketing.domain.event import Attendance
from src.service.ticketing.domain.user import Role, User

_IS_STAFF = "SELECT EXISTS (SELECT 1 FROM event_staff WHERE event_id = $1 AND user_id = $2)"
_ADD_STAFF = "INSERT INTO event_staff (event_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
_REMOVE_STAFF = "DELETE FROM event_staff WHERE event_id = $1 AND user_id = $2"
_STAFF = (
    "SELECT u.id, u.email, u.name, u.role FROM event_staff AS s JOIN users AS u "
    "ON u.id = s.user_id WHERE s.event_id = $1 ORDER BY s.added_at, u.id"
)
_BY_NONCE = "SELECT * FROM check_in_scans WHERE event_id = $1 AND nonce = $2"
_LOG = """
INSERT INTO check_in_scans (event_id, ticket_id, code, result, gate, staff_id, scanned_at, nonce)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (event_id, nonce) DO NOTHING RETURNING id
"""
_SCANS = "SELECT * FROM check_in_scans WHERE event_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
_COUNT_SCANS = "SELECT count(*) FROM check_in_scans WHERE event_id = $1"
_ATTENDANCE = f"""
SELECT count(*) FILTER (WHERE status = '{IssuedTicketStatus.CHECKED_IN}') AS checked_in,
       count(*) FILTER (WHERE {sql_in("status", sorted(LIVE_TICKETS))}) AS sold
FROM issued_tickets WHERE event_id = $1
"""


def scan_from_row(row: asyncpg.Record) -> ScanRecord:
    """A `check_in_scans` row as a domain record."""
    return ScanRecord(
        event_id=row["event_id"], ticket_id=row["ticket_id"], code=row["code"],
        outcome=ScanOutcome(row["result"]), gate=row["gate"], staff_id=row["staff_id"],
        scanned_at=row["scanned_at"], nonce=row["nonce"], id=row["id"],
        recorded_at=row["recorded_at"],
    )


class PostgresDoorRepository:
    """Door staff and scans inside one unit of work's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def is_staff(self, event_id: int, user_id: int) -> bool:
        """True when the user is door staff of the event."""
        return bool(await self._conn.fetchval(_IS_STAFF, event_id, user_id))

    async def add_staff(self, event_id: int, user_id: int) -> None:
        """Add the user (idempotent)."""
        await self._conn.execute(_ADD_STAFF, event_id, user_id)

    async def remove_staff(self, event_id: int, user_id: int) -> bool:
        """Remove the user; False when they were not staff."""
        return await self._conn.execute(_REMOVE_STAFF, event_id, user_id) != "DELETE 0"

    async def staff(self, event_id: int) -> list[User]:
        """The event's staff in the order they were added."""
        rows = await self._conn.fetch(_STAFF, event_id)
        return [User(r["id"], r["email"], r["name"], Role(r["role"])) for r in rows]

    async def scan_by_nonce(self, event_id: int, nonce: str) -> ScanRecord | None:
        """The logged scan with this nonce, or None."""
        row = await self._conn.fetchrow(_BY_NONCE, event_id, nonce)
        return scan_from_row(row) if row else None

    async def log_scan(self, record: ScanRecord) -> bool:
        """Append; False when the nonce is already logged for the event."""
        logged = await self._conn.fetchval(
            _LOG, record.event_id, record.ticket_id, record.code, str(record.outcome),
            record.gate, record.staff_id, record.scanned_at, record.nonce,
        )
        return logged is not None

    async def scans(self, event_id: int, limit: int, offset: int) -> Page[ScanRecord]:
        """One page of the log, newest first, with the event's total."""
        rows = await self._conn.fetch(_SCANS, event_id, limit, offset)
        total = await self._conn.fetchval(_COUNT_SCANS, event_id)
        return Page(tuple(scan_from_row(r) for r in rows), total, limit, offset)

    async def attendance(self, event_id: int) -> Attendance:
        """Checked-in and live tickets of the event."""
        row = await self._conn.fetchrow(_ATTENDANCE, event_id)
        return Attendance(checked_in=row["checked_in"], sold=row["sold"])
