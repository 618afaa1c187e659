"""PostgreSQL adapters: the unit of work and the user and event repositories (asyncpg).

Every error of `src.platform.db.UNAVAILABLE` (server down or refusing, broken connection,
closed pool, acquire or command timeout) that surfaces in a unit of work is raised as
`Unavailable`, an HTTP 503 (spec/architecture.md, "HTTP conventions")."""

from __future__ import annotations

import json
from types import TracebackType

import asyncpg

from src.platform.db import UNAVAILABLE
from src.service.lifecycle import (
    EVENT_CREATED_DEFAULT,
    TAKES_BOOKINGS,
    EventStatus,
    EventTransition,
)
from src.service.ticketing.adapters.postgres_bookings import PostgresBookingRepository
from src.service.ticketing.adapters.postgres_door import PostgresDoorRepository
from src.service.ticketing.adapters.postgres_event_sweep import PostgresEventSweepRepository
from src.service.ticketing.adapters.postgres_keys import PostgresKeyRepository
from src.service.ticketing.adapters.postgres_refunds import PostgresRefundRepository
from src.service.ticketing.adapters.postgres_rows import stats_from_row, ticket_from_row
from src.service.ticketing.adapters.postgres_terms import (
    PostgresEventTermsRepository,
    insert_seats,
    sales_from_row,
    terms_from_row,
)
from src.service.ticketing.adapters.postgres_tickets import PostgresIssuedTicketRepository
from src.service.ticketing.application.ports import Unavailable
from src.service.ticketing.application.ticket_views import Page
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.event import Event, EventQuery, SubsectionStats
from src.service.ticketing.domain.seating import SeatingConfig, parse_seating_config
from src.service.ticketing.domain.ticket import Ticket
from src.service.ticketing.domain.user import Role, User


class PostgresUnitOfWork:
    """One pooled connection (waiting at most `acquire_timeout_s` seconds for it) and one
    transaction; commits on a clean exit. Connection failures inside the block surface as
    `Unavailable`."""

    def __init__(self, pool: asyncpg.Pool, acquire_timeout_s: float = 10.0) -> None:
        self._pool = pool
        self._timeout_s = acquire_timeout_s

    async def __aenter__(self) -> PostgresUnitOfWork:
        """Take a connection and begin a transaction; raises `Unavailable`."""
        try:
            self._conn = await self._pool.acquire(timeout=self._timeout_s)
        except UNAVAILABLE as e:
            raise Unavailable("database unavailable") from e
        self._tx = self._conn.transaction()
        try:
            await self._tx.start()
        except UNAVAILABLE as e:
            await self._pool.release(self._conn)
            raise Unavailable("database unavailable") from e
        self.users = PostgresUserRepository(self._conn)
        self.events = PostgresEventRepository(self._conn)
        self.bookings = PostgresBookingRepository(self._conn)
        self.keys = PostgresKeyRepository(self._conn)
        self.issued_tickets = PostgresIssuedTicketRepository(self._conn)
        self.door = PostgresDoorRepository(self._conn)
        self.event_terms = PostgresEventTermsRepository(self._conn)
        self.refunds = PostgresRefundRepository(self._conn)
        self.event_sweep = PostgresEventSweepRepository(self._conn)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Commit or roll back, and give the connection back to the pool."""
        try:
            if exc_type is None:
                await self._tx.commit()
            else:
                await self._tx.rollback()
        except UNAVAILABLE as e:
            raise Unavailable("database unavailable") from e
        finally:
            await self._pool.release(self._conn)
        if isinstance(exc, UNAVAILABLE):
            raise Unavailable("database unavailable") from exc


def _user(row: asyncpg.Record) -> User:
    return User(id=row["id"], email=row["email"], name=row["name"], role=Role(row["role"]),
                password_hash=row["password_hash"], token_version=row["token_version"],
                is_active=row["is_active"])


class PostgresUserRepository:
    """Users table."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, email: str, name: str, password_hash: str, role: Role) -> User:
        """Insert; raises `InvalidRequest` when the e-mail is taken."""
        row = await self._conn.fetchrow(
            "INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (email) DO NOTHING RETURNING *",
            email, name, password_hash, role.value,
        )
        if row is None:
            raise InvalidRequest("Email already registered")
        return _user(row)

    async def by_email(self, email: str) -> User | None:
        """The user with this e-mail, or None."""
        row = await self._conn.fetchrow("SELECT * FROM users WHERE email = $1", email)
        return _user(row) if row else None

    async def by_id(self, user_id: int) -> User | None:
        """The user with this id, or None."""
        row = await self._conn.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
        return _user(row) if row else None

    async def revoke_sessions(self, user_id: int) -> None:
        """token_version + 1."""
        await self._conn.execute(
            "UPDATE users SET token_version = token_version + 1 WHERE id = $1", user_id)

    async def set_password(self, user_id: int, password_hash: str) -> User | None:
        """New hash and token_version + 1; the updated user, or None."""
        row = await self._conn.fetchrow(
            "UPDATE users SET password_hash = $2, token_version = token_version + 1 "
            "WHERE id = $1 RETURNING *", user_id, password_hash)
        return _user(row) if row else None


# The public list's filters; each is off when its parameter is NULL (spec/tickets.md, rule 17).
_WHERE = (
    "WHERE (seller_id = $1 OR ($1::int IS NULL AND is_active)) "
    "AND ($2::text IS NULL OR status = $2) AND ($3::timestamptz IS NULL OR starts_at >= $3) "
    "AND ($4::timestamptz IS NULL OR starts_at <= $4) AND ($5::text IS NULL OR "
    "name ILIKE $5 OR description ILIKE $5 OR venue_name ILIKE $5)"
)
_FIND = (
    f"SELECT *, count(*) OVER () AS total FROM events {_WHERE} "
    "ORDER BY starts_at NULLS LAST, id LIMIT $6 OFFSET $7"
)
_COUNT = f"SELECT count(*) FROM events {_WHERE}"


def _like_escaped(text: str) -> str:
    """`text` matched literally by ILIKE (its default escape character is the backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _event(row: asyncpg.Record, stats: tuple[SubsectionStats, ...] = ()) -> Event:
    return Event(
        id=row["id"], seller_id=row["seller_id"], name=row["name"],
        description=row["description"], venue_name=row["venue_name"],
        seating_config=parse_seating_config(json.loads(row["seating_config"])),
        is_active=row["is_active"], status=EventStatus(row["status"]), created_at=row["created_at"],
        stats=stats, terms=terms_from_row(row), hold_seconds=row["hold_seconds"],
        sales=sales_from_row(row),
    )


class PostgresEventRepository:
    """Events, their tickets (one per seat, inserted with COPY) and subsection stats."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(
        self, seller_id: int, name: str, description: str, venue_name: str,
        config: SeatingConfig, is_active: bool, status: EventStatus = EVENT_CREATED_DEFAULT,
        hold_seconds: int | None = None,
    ) -> Event:
        """Insert the event, its tickets (COPY) and zeroed subsection stats."""
        row = await self._conn.fetchrow(
            "INSERT INTO events (seller_id, name, description, venue_name, seating_config, "
            "is_active, status, hold_seconds) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8) "
            "RETURNING *",
            seller_id, name, description, venue_name, json.dumps(config.to_dict()), is_active,
            str(status), hold_seconds,
        )
        await insert_seats(self._conn, row["id"], config)
        return _event(row)

    async def move(self, event_id: int, transition: EventTransition) -> bool:
        """Compare-and-set of the event's status by `transition`; False when its status was
        not one the transition leaves (it changed meanwhile, or never was)."""
        done = await self._conn.execute(
            f"UPDATE events SET status = '{transition.target}' WHERE id = $1 AND "
            f"{transition.guard()}", event_id)
        return done.split()[-1] == "1"


    async def get(self, event_id: int, with_stats: bool = False) -> Event | None:
        """The event (with its subsection stats when asked), or None."""
        row = await self._conn.fetchrow("SELECT * FROM events WHERE id = $1", event_id)
        if row is None:
            return None
        event = _event(row)
        if not with_stats:
            return event
        stats = await self._conn.fetch(
            "SELECT * FROM subsection_stats WHERE event_id = $1 ORDER BY section, subsection",
            event_id,
        )
        return _event(row, tuple(stats_from_row(s, event.seating_config) for s in stats))

    async def find(self, query: EventQuery) -> Page[Event]:
        """One page of the events `query` asks for, ordered by `starts_at` (undated last),
        then id; the total counts every match (one statement, a window count)."""
        status = query.status or (None if query.seller_id is not None else TAKES_BOOKINGS)
        text = None if query.text is None else f"%{_like_escaped(query.text)}%"
        rows = await self._conn.fetch(
            _FIND, query.seller_id, None if status is None else str(status), query.starts_from,
            query.starts_until, text, query.limit, query.offset,
        )
        total = rows[0]["total"] if rows else await self._conn.fetchval(
            _COUNT, query.seller_id, None if status is None else str(status), query.starts_from,
            query.starts_until, text,
        )
        return Page(tuple(_event(r) for r in rows), total, query.limit, query.offset)

    async def seats(self, event_id: int, section: str, subsection: int) -> list[Ticket]:
        """Every ticket of one subsection, row by row."""
        rows = await self._conn.fetch(
            "SELECT * FROM tickets WHERE event_id = $1 AND section = $2 AND subsection = $3 "
            "ORDER BY row, seat",
            event_id, section, subsection,
        )
        return [ticket_from_row(r) for r in rows]

