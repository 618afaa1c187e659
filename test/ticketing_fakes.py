"""Hand-written fakes of the ticketing ports: in-memory state that tests can inspect."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from src.service.lifecycle import GIVE_UP, OPEN, PAY, BookingStatus, Transition
from src.service.ticketing.application.ports import PublishFailed
from src.service.ticketing.application.views import (
    BookingView,
    BuyerSummary,
    EventSummary,
    OutboxEntry,
)
from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.event import Event, EventStatus, SubsectionStats
from src.service.ticketing.domain.user import Role, User


class FixedClock:
    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class SequentialIds:
    def __init__(self) -> None:
        self.n = 0

    def new_id(self) -> UUID:
        self.n += 1
        return UUID(int=self.n)


class Store:
    """The 'database' shared by every fake unit of work."""

    def __init__(self) -> None:
        self.users: dict[int, User] = {}
        self.events: dict[int, Event] = {}
        self.bookings: dict[UUID, Booking] = {}
        self.attempts: dict[UUID, int] = {}
        self.release_pending: set[UUID] = set()
        self.commits = 0


class FakeUsers:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, email, name, password_hash, role) -> User:
        if any(u.email == email for u in self.store.users.values()):
            raise InvalidRequest("Email already registered")
        user = User(len(self.store.users) + 1, email, name, Role(role), password_hash)
        self.store.users[user.id] = user
        return user

    async def by_email(self, email):
        return next((u for u in self.store.users.values() if u.email == email), None)

    async def by_id(self, user_id):
        return self.store.users.get(user_id)

    async def revoke_sessions(self, user_id):
        user = self.store.users[user_id]
        self.store.users[user_id] = replace(user, token_version=user.token_version + 1)

    async def set_password(self, user_id, password_hash):
        user = self.store.users.get(user_id)
        if user is None:
            return None
        self.store.users[user_id] = replace(user, password_hash=password_hash,
                                            token_version=user.token_version + 1)
        return self.store.users[user_id]


class FakeEvents:
    def __init__(self, store: Store, clock: FixedClock) -> None:
        self.store, self.clock = store, clock

    async def add(self, seller_id, name, description, venue_name, config, is_active) -> Event:
        stats = tuple(
            SubsectionStats(s.name, n, s.price, config.seats_per_subsection,
                            config.seats_per_subsection, 0, 0)
            for s in config.sections for n in range(1, s.subsections + 1)
        )
        event = Event(len(self.store.events) + 1, seller_id, name, description, venue_name,
                      config, is_active, EventStatus.AVAILABLE, self.clock.now(), stats)
        self.store.events[event.id] = event
        return event

    async def get(self, event_id, with_stats=False):
        event = self.store.events.get(event_id)
        return event if event is None or with_stats else replace(event, stats=())

    async def find(self, seller_id):
        return [e for e in self.store.events.values()
                if (e.seller_id == seller_id if seller_id is not None else e.is_active)]

    async def seats(self, event_id, section, subsection):
        return []


class FakeBookings:
    def __init__(self, store: Store, clock: FixedClock) -> None:
        self.store, self.clock = store, clock

    async def get(self, booking_id):
        return self.store.bookings.get(booking_id)

    async def view(self, booking_id):
        booking = self.store.bookings.get(booking_id)
        if booking is None:
            return None
        event, buyer = self.store.events[booking.event_id], self.store.users.get(booking.buyer_id)
        return BookingView(booking, EventSummary(event.id, event.name, event.venue_name),
                           BuyerSummary(booking.buyer_id, buyer.name if buyer else "",
                                        buyer.email if buyer else ""), ())

    async def find(self, *, buyer_id, seller_id, statuses=()):
        events = self.store.events
        return [b for b in self.store.bookings.values()
                if (buyer_id is None or b.buyer_id == buyer_id)
                and (seller_id is None or events[b.event_id].seller_id == seller_id)
                and (not statuses or b.status in statuses)]

    async def on_event(self, buyer_id, event_id, final_since):
        return [b for b in self.store.bookings.values()
                if b.buyer_id == buyer_id and b.event_id == event_id
                and (b.status in OPEN or b.updated_at >= final_since)]

    def _swap(self, booking_id: UUID, transition: Transition, **changes) -> Booking | None:
        stored = self.store.bookings[booking_id]
        if not transition.allows(stored.status):
            return None
        moved = replace(stored, status=transition.target, updated_at=self.clock.now(), **changes)
        self.store.bookings[booking_id] = moved
        return moved

    async def cancel(self, booking, transition):
        done = self._swap(booking.id, transition)
        if done:
            self.store.release_pending.add(booking.id)
        return (done, None) if done else None

    async def release_published(self, booking_id):
        self.store.release_pending.discard(booking_id)

    async def pay(self, booking):
        done = self._swap(booking.id, PAY)
        if done is None:
            return None
        stats = SubsectionStats(done.section, done.subsection, 0, 0, 0, 0, done.quantity)
        return done, stats

    async def claim_stale(self, older_than_s, limit):
        cutoff = self.clock.now() - timedelta(seconds=older_than_s)
        stale = [b for b in self.store.bookings.values()
                 if (b.status is BookingStatus.PROCESSING or b.id in self.store.release_pending)
                 and b.updated_at <= cutoff][:limit]
        entries = []
        for b in stale:
            self.store.bookings[b.id] = replace(b, updated_at=self.clock.now())
            self.store.attempts[b.id] = self.store.attempts.get(b.id, 1) + 1
            entries.append(OutboxEntry(self.store.bookings[b.id], self.store.attempts[b.id]))
        return entries

    async def give_up(self, booking_id, reason):
        return self._swap(booking_id, GIVE_UP, failure_reason=reason) is not None


class FakeUnitOfWork:
    """Commits by counting; a block that raises leaves `commits` unchanged."""

    def __init__(self, store: Store, clock: FixedClock) -> None:
        self.store = store
        self.users = FakeUsers(store)
        self.events = FakeEvents(store, clock)
        self.bookings = FakeBookings(store, clock)

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, *_):
        if exc_type is None:
            self.store.commits += 1


class FakeInbox:
    """Stores new bookings straight into the shared store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, booking: Booking) -> None:
        self.store.bookings[booking.id] = replace(booking)


class FakeInventory:
    """Availability counters and taken seats per subsection tag; a subsection without a
    counter is one the reservation service never wrote."""

    def __init__(self) -> None:
        self.available: dict[str, int] = {}
        self.taken: dict[str, set[int]] = {}

    async def check(self, tag, seat_indexes):
        taken = self.taken.get(tag, set())
        return self.available.get(tag), [i in taken for i in seat_indexes]


class RecordingPublisher:
    """Remembers every command; `fail_next` makes the next N publishes fail."""

    def __init__(self) -> None:
        self.sent: list = []
        self.fail_next = 0

    async def publish(self, command) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise PublishFailed("broker unavailable")
        self.sent.append(command)


class RecordingNotifier:
    def __init__(self) -> None:
        self.statuses: list = []
        self.states: list = []

    async def booking_status(self, update) -> None:
        self.statuses.append(update)

    async def subsection_state(self, state) -> None:
        self.states.append(state)


class FakeFeed:
    def __init__(self) -> None:
        self.messages: dict[str, list[bytes]] = {}

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
        async def replay():
            for m in self.messages.get(channel, []):
                yield m
        yield replay()


class PlainHasher:
    """Hashes are the password in clear; `checks` records every password check made."""

    def __init__(self) -> None:
        self.checks: list[tuple[str | None, str]] = []

    async def hash(self, password: str) -> str:
        return "plain:" + password

    async def verify(self, password_hash: str, password: str) -> bool:
        self.checks.append((password_hash, password))
        return password_hash == "plain:" + password

    async def verify_absent(self, password: str) -> bool:
        self.checks.append((None, password))
        return False
