"""Ports of the ticketing core: what the use cases need from the outside world."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol
from uuid import UUID

from src.service.contract import (
    BookingCancelled,
    BookingCreated,
    BookingStatusUpdate,
    SubsectionState,
)
from src.service.ticketing.domain.booking import Booking, BookingStatus
from src.service.ticketing.domain.event import Event, SubsectionStats
from src.service.ticketing.domain.seating import SeatingConfig
from src.service.ticketing.domain.user import Role, User


class UserRepository(Protocol):
    async def add(self, email: str, name: str, password_hash: str, role: Role) -> User:
        """Store a new user; raises `InvalidRequest` when the e-mail is taken."""

    async def by_email(self, email: str) -> User | None: ...

    async def by_id(self, user_id: int) -> User | None: ...


class EventRepository(Protocol):
    async def add(
        self, seller_id: int, name: str, description: str, venue_name: str,
        config: SeatingConfig, is_active: bool,
    ) -> Event:
        """Store the event, one available ticket per seat and zeroed stats."""

    async def get(self, event_id: int, with_stats: bool = False) -> Event | None: ...

    async def list(self, seller_id: int | None) -> list[Event]:
        """Active events on sale, or every event of `seller_id` when given."""

    async def seats(self, event_id: int, section: str, subsection: int) -> list[dict]: ...


class BookingRepository(Protocol):
    async def add(self, booking: Booking) -> None: ...

    async def get(self, booking_id: UUID) -> Booking | None:
        """The booking with its tickets, or None."""

    async def list(
        self, *, buyer_id: int | None, seller_id: int | None,
        statuses: tuple[BookingStatus, ...] = (), event_id: int | None = None,
    ) -> list[Booking]:
        """Newest first; every filter that is given must hold."""

    async def on_event(
        self, buyer_id: int, event_id: int, final_since: datetime
    ) -> list[Booking]:
        """A buyer's bookings on one event that are still open, or reached a final status at
        or after `final_since`; oldest first."""

    async def cancel(self, booking: Booking) -> tuple[Booking, SubsectionStats | None] | None:
        """Compare-and-set processing|pending_payment → cancelled with `release_pending` set;
        reserved tickets back to available. None when the status changed meanwhile."""

    async def release_published(self, booking_id: UUID) -> None:
        """The broker acknowledged BookingCancelled: clear `release_pending`."""

    async def pay(self, booking: Booking) -> tuple[Booking, SubsectionStats] | None:
        """Compare-and-set pending_payment → completed; tickets → sold with codes. None when
        the status changed meanwhile."""

    async def claim_stale(self, older_than_s: float, limit: int) -> list[Booking]:
        """The outbox: bookings still `processing`, or cancelled with `release_pending`,
        untouched for `older_than_s` seconds; each is bumped (updated_at, publish_attempts)
        so that a concurrent sweeper skips it."""

    async def fail(self, booking_id: UUID, reason: str) -> bool:
        """Compare-and-set processing → failed; False when it was no longer processing."""


class BookingInbox(Protocol):
    async def add(self, booking: Booking) -> None:
        """Store a new `processing` booking durably (committed) before returning; concurrent
        calls may share one transaction (group commit)."""


class UnitOfWork(Protocol):
    """One PostgreSQL transaction; committed when the block exits without error."""

    users: UserRepository
    events: EventRepository
    bookings: BookingRepository

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc: object) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class CommandPublisher(Protocol):
    async def publish(self, command: BookingCreated | BookingCancelled) -> None:
        """Send to Kafka and wait for the broker's ack; raises `PublishFailed`."""


class Unavailable(Exception):
    """A backing service (PostgreSQL, Kvrocks) could not be reached; worth retrying."""


class PublishFailed(Exception):
    """The broker did not acknowledge a command in time."""


class SeatInventory(Protocol):
    async def open_event(self, event: Event) -> None:
        """Initialise every subsection's seat bits and availability counter."""

    async def close_event(self, event: Event) -> None:
        """Remove what `open_event` wrote (used when the event could not be stored)."""

    async def check(self, tag: str, seat_indexes: list[int]) -> tuple[int, list[bool]]:
        """One round trip: (available seats in the subsection, is-taken per index)."""


class StatusNotifier(Protocol):
    async def booking_status(self, update: BookingStatusUpdate) -> None: ...

    async def subsection_state(self, state: SubsectionState) -> None: ...


class StatusFeed(Protocol):
    def subscribe(self, channel: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Subscribe before returning; iterate the messages published afterwards."""


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...


class TokenCodec(Protocol):
    def issue(self, user: User) -> str: ...

    def read(self, token: str) -> tuple[int, Role]:
        """(user id, role); raises `NotAuthenticated` for a bad or expired token."""


class Clock(Protocol):
    def now(self) -> datetime: ...


class IdGenerator(Protocol):
    def new_id(self) -> UUID: ...
