"""Ports of the ticketing core: what the use cases need from the outside world. The ports of
issued tickets, their door, their events' terms and their refunds are in `ticket_ports.py`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from types import TracebackType
from typing import Protocol
from uuid import UUID

from src.service.contract import (
    BookingCancelled,
    BookingCreated,
    BookingStatusUpdate,
    SubsectionState,
)
from src.service.lifecycle import BookingStatus, EventStatus, EventTransition, Transition
from src.service.ticketing.application.account_ports import (  # re-exported: ports of accounts
    AccountLookup as AccountLookup,
)
from src.service.ticketing.application.account_ports import Limit as Limit
from src.service.ticketing.application.account_ports import (
    PasswordBlocklist as PasswordBlocklist,
)
from src.service.ticketing.application.account_ports import PasswordHasher as PasswordHasher
from src.service.ticketing.application.account_ports import RateLimiter as RateLimiter
from src.service.ticketing.application.account_ports import TokenCodec as TokenCodec
from src.service.ticketing.application.ticket_ports import (
    AttendanceNotifier,
    DoorRepository,
    EventSweepRepository,
    EventTermsRepository,
    IssuedTicketRepository,
    RefundRepository,
)
from src.service.ticketing.application.ticket_views import Page
from src.service.ticketing.application.views import BookingView, Expiry, OutboxEntry
from src.service.ticketing.domain.booking import Booking, FailureReason
from src.service.ticketing.domain.event import Event, EventQuery, SubsectionStats
from src.service.ticketing.domain.idempotency import KeyUse, Operation
from src.service.ticketing.domain.seating import SeatingConfig
from src.service.ticketing.domain.ticket import Ticket
from src.service.ticketing.domain.user import Role, User


class UserRepository(Protocol):
    """Accounts (PostgreSQL `users`)."""

    async def add(self, email: str, name: str, password_hash: str, role: Role) -> User:
        """Store a new user; raises `InvalidRequest` when the e-mail is taken."""

    async def by_email(self, email: str) -> User | None:
        """The user with this (normalised) e-mail, or None."""

    async def by_id(self, user_id: int) -> User | None:
        """The user with this id, or None."""

    async def revoke_sessions(self, user_id: int) -> None:
        """Raise the user's `token_version`: every token issued so far stops working."""

    async def set_password(self, user_id: int, password_hash: str) -> User | None:
        """Store a new password hash and raise `token_version`; the updated user, or None."""


class EventRepository(Protocol):
    """Events, their tickets and subsection stats (PostgreSQL)."""

    async def add(
        self, seller_id: int, name: str, description: str, venue_name: str,
        config: SeatingConfig, is_active: bool, status: EventStatus,
        hold_seconds: int | None = None,
    ) -> Event:
        """Store the event (in `status`, with its payment deadline `hold_seconds`), one
        available ticket per seat and zeroed stats."""

    async def move(self, event_id: int, transition: EventTransition) -> bool:
        """Compare-and-set of the event's status by `transition`; False when the event was
        not in one of its sources."""

    async def get(self, event_id: int, with_stats: bool = False) -> Event | None:
        """The event (with per-subsection stats when asked), or None."""

    async def find(self, query: EventQuery) -> Page[Event]:
        """One page of the events `query` asks for, with the total that match."""

    async def seats(self, event_id: int, section: str, subsection: int) -> list[Ticket]:
        """Every ticket (seat) of one subsection, row by row."""


class BookingRepository(Protocol):
    """Bookings and the tickets they hold; every status change is a compare-and-set taken
    from a `src.service.lifecycle.Transition` (spec/architecture.md, guarantee 2)."""

    async def get(self, booking_id: UUID) -> Booking | None:
        """The booking, or None."""

    async def view(self, booking_id: UUID) -> BookingView | None:
        """The booking with its event, buyer and tickets, or None."""

    async def find(
        self, *, buyer_id: int | None, seller_id: int | None,
        statuses: tuple[BookingStatus, ...] = (),
    ) -> list[Booking]:
        """Newest first; every filter that is given must hold."""

    async def on_event(
        self, buyer_id: int, event_id: int, final_since: datetime
    ) -> list[Booking]:
        """A buyer's bookings on one event that are still open, or reached a final status at
        or after `final_since`; oldest first."""

    async def cancel(
        self, booking: Booking, transition: Transition
    ) -> tuple[Booking, SubsectionStats | None] | None:
        """Compare-and-set by `transition` (a cancel) with `release_pending` set; its tickets
        move as the transition says. None when the status changed meanwhile."""

    async def release_published(self, booking_ids: list[UUID]) -> None:
        """The broker acknowledged these bookings' BookingCancelled: clear `release_pending`."""

    async def pay(
        self, booking: Booking, now: datetime
    ) -> tuple[Booking, SubsectionStats] | None:
        """Compare-and-set by `lifecycle.PAY` and on `expires_at` being unset or later than
        `now`; tickets → sold with codes. None when the status changed meanwhile or the
        deadline passed (spec/booking.md, rule 6)."""

    async def expire_due(self, now: datetime, limit: int) -> Expiry:
        """Compare-and-set by `lifecycle.EXPIRE` of up to `limit` bookings awaiting payment
        whose `expires_at` is at or before `now`, oldest deadline first, claimed so that
        concurrent sweepers skip each other's (and a paying request's) rows; their tickets go
        back to available, their release is owed (`release_pending`), all in this
        transaction (spec/booking.md, rule 6)."""

    async def claim_stale(
        self, older_than_s: float, backoff_cap_s: float, limit: int
    ) -> list[OutboxEntry]:
        """The outbox: bookings still `processing` whose BookingCreated the broker never
        acknowledged, and cancelled or given-up bookings with `release_pending`, whose
        `attempts`-th re-send is due: untouched for `older_than_s` × 2^(attempts-1) seconds,
        at most `backoff_cap_s`. Each is bumped (updated_at, attempts) so that a concurrent
        sweeper skips it (spec/architecture.md, guarantee 8)."""

    async def overdue(self, deadline_s: float, limit: int) -> list[Booking]:
        """Bookings still `processing` more than `deadline_s` seconds after `created_at`,
        oldest first."""

    async def give_up(self, booking_ids: list[UUID], reason: FailureReason) -> list[Booking]:
        """Compare-and-set by `lifecycle.GIVE_UP` with `reason` and `release_pending` set, for
        all of `booking_ids` at once; the bookings that were still processing, now failed."""


class IdempotencyKeyRepository(Protocol):
    """Per buyer, what each key was first used for (spec/architecture.md, guarantee 9): pay
    and cancel keys in `idempotency_keys`, create keys in their bookings, one namespace. Keys
    older than `ttl_s` seconds count as absent."""

    async def find(self, buyer_id: int, key: str, ttl_s: float) -> KeyUse | None:
        """What the buyer's key stands for, or None when unused (or expired)."""

    async def claim(
        self, buyer_id: int, key: str, operation: Operation, booking_id: UUID, ttl_s: float
    ) -> bool:
        """Record the key for `operation` on `booking_id`, in this transaction; False when a
        live key holds it already (a concurrent request claimed it first, or a live booking
        was created under it)."""

    async def purge(self, ttl_s: float, limit: int) -> int:
        """Delete up to `limit` expired pay and cancel keys; how many were deleted."""


class BookingInbox(Protocol):
    """Where new bookings are stored: the accept path's one PostgreSQL write. Idempotency keys
    older than the inbox's TTL count as absent."""

    async def add(
        self, booking: Booking, key: str | None = None, limited: bool = False
    ) -> KeyUse | None:
        """Store a new `processing` booking durably (committed) before returning, with its
        buyer's `key` in the same transaction; concurrent calls may share one (group commit).
        None when stored; what the key stands for when it was used already (nothing stored).
        With `limited` (its event has per-buyer limits) the booking is stored only if it fits
        what its buyer already holds of the event, checked atomically with the insert
        against the limits PostgreSQL has (`domain.sales.admit`; spec/booking.md, rules
        11–12). Raises `NotAuthenticated` when the buyer no longer exists, `NotFound` when the
        event does not, `Unavailable`, and `InvalidRequest` (over the ticket limit) or
        `Conflict` (an open booking already); one request's failure never fails the
        others."""

    async def find(self, buyer_id: int, key: str) -> KeyUse | None:
        """What the buyer's key stands for, or None when unused; concurrent calls share one
        read."""


class AckLog(Protocol):
    """Where the broker's acknowledgements of BookingCreated are recorded
    (`bookings.command_acked`), so the relay re-sends only commands never acknowledged."""

    def acked(self, booking_id: UUID) -> None:
        """Note the ack and return at once; written in the background, one UPDATE per burst
        (a lost note only costs one needless re-send)."""


class UnitOfWork(Protocol):
    """One PostgreSQL transaction; committed when the block exits without error."""

    @property
    def users(self) -> UserRepository:
        """Users, in this transaction."""

    @property
    def events(self) -> EventRepository:
        """Events, in this transaction."""

    @property
    def bookings(self) -> BookingRepository:
        """Bookings, in this transaction."""

    @property
    def keys(self) -> IdempotencyKeyRepository:
        """Idempotency keys, in this transaction."""

    @property
    def issued_tickets(self) -> IssuedTicketRepository:
        """Issued tickets, in this transaction."""

    @property
    def door(self) -> DoorRepository:
        """Door staff and scans, in this transaction."""

    @property
    def event_terms(self) -> EventTermsRepository:
        """Event dates and refund settings, in this transaction."""

    @property
    def refunds(self) -> RefundRepository:
        """Refunds, in this transaction."""

    @property
    def event_sweep(self) -> EventSweepRepository:
        """What a cancelled event still has to cancel or refund, in this transaction."""

    async def __aenter__(self) -> UnitOfWork:
        """Begin the transaction."""

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Commit on a clean exit, roll back otherwise."""


class UnitOfWorkFactory(Protocol):
    """Opens a new unit of work."""

    def __call__(self) -> UnitOfWork:
        """A unit of work, not yet entered."""


class CommandPublisher(Protocol):
    """The Kafka producer of booking commands."""

    async def publish(self, command: BookingCreated | BookingCancelled) -> None:
        """Send to Kafka and wait for the broker's ack; raises `PublishFailed`."""


class Unavailable(Exception):
    """A backing service (PostgreSQL, Kvrocks) could not be reached; worth retrying (HTTP 503
    with Retry-After; spec/architecture.md, "HTTP conventions")."""


class PublishFailed(Exception):
    """The broker did not acknowledge a command in time."""


class SeatInventory(Protocol):
    """Read-only view of the seat map the reservation service keeps in Kvrocks, for the
    fail-fast check (spec/booking.md, rule 4)."""

    async def check(self, tag: str, seat_indexes: list[int]) -> tuple[int | None, list[bool]]:
        """One round trip: (free seats in the subsection, or None when its seat map has no
        counter yet; is-taken per index)."""


class StatusNotifier(AttendanceNotifier, Protocol):
    """Pub/sub publisher of status changes (spec/booking.md, "Live updates") and of the
    door's counts."""

    async def booking_status(self, update: BookingStatusUpdate) -> None:
        """Publish on the buyer's booking-status channel of the event; raises `Unavailable`."""

    async def subsection_state(self, state: SubsectionState) -> None:
        """Publish on the event's seat-count channel; raises `Unavailable`."""


class StatusFeed(Protocol):
    """Pub/sub subscriptions for the SSE streams."""

    def subscribe(
        self, channel: str, *, queue_size: int | None = None
    ) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Subscribed, as confirmed by the store, before returning; iterate the messages
        published afterwards, in order. Entering and iterating raise `Unavailable` when the
        store cannot be reached; iterating also when the listener fell more than `queue_size`
        messages (default: the feed's own cap) behind."""


class Clock(Protocol):
    """The time, as an aware datetime."""

    def now(self) -> datetime:
        """Now, in UTC."""


class IdGenerator(Protocol):
    """New booking ids."""

    def new_id(self) -> UUID:
        """A fresh, time-ordered id."""
