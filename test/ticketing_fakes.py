"""Hand-written fakes of the ticketing ports: in-memory state that tests can inspect."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from src.service.lifecycle import (
    EXPIRE,
    GIVE_UP,
    OPEN,
    PAY,
    BookingStatus,
    EventStatus,
    Transition,
)
from src.service.ticketing.application.ticket_views import Page
from src.service.ticketing.application.views import (
    BookingView,
    BuyerSummary,
    EventSummary,
    Expiry,
    OutboxEntry,
)
from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.event import Event, SubsectionStats
from src.service.ticketing.domain.idempotency import KeyUse, Operation
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
        self.acked: set[UUID] = set()
        # (buyer id, key) -> (operation, booking id, created at)
        self.keys: dict[tuple[int, str], tuple[Operation, UUID, datetime]] = {}
        self.commits = 0
        self.fail_with: Exception | None = None  # raised by every unit of work that opens

    def snapshot(self) -> tuple:
        return (dict(self.bookings), dict(self.attempts), set(self.release_pending),
                set(self.acked), dict(self.keys))

    def restore(self, snapshot: tuple) -> None:
        (self.bookings, self.attempts, self.release_pending, self.acked,
         self.keys) = snapshot

    def key_use(self, buyer_id: int, key: str, since: datetime) -> KeyUse | None:
        """What a live key stands for (rows created before `since` count as absent)."""
        row = self.keys.get((buyer_id, key))
        if row is None or row[2] < since:
            return None
        return KeyUse(row[0], self.bookings.get(row[1]))


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

    async def add(self, seller_id, name, description, venue_name, config, is_active,
                  status=EventStatus.ON_SALE, hold_seconds=None) -> Event:
        stats = tuple(
            SubsectionStats(s.name, n, s.price, config.seats_per_subsection,
                            config.seats_per_subsection, 0, 0)
            for s in config.sections for n in range(1, s.subsections + 1)
        )
        event = Event(len(self.store.events) + 1, seller_id, name, description, venue_name,
                      config, is_active, status, self.clock.now(), stats,
                      hold_seconds=hold_seconds)
        self.store.events[event.id] = event
        return event

    async def move(self, event_id, transition):
        interleave = getattr(self.store, "interleave", None)
        if interleave is not None:  # a ticket store may have a concurrent change pending
            interleave()
        event = self.store.events.get(event_id)
        if event is None or not transition.allows(event.status):
            return False
        self.store.events[event_id] = replace(event, status=transition.target)
        return True

    async def get(self, event_id, with_stats=False):
        event = self.store.events.get(event_id)
        return event if event is None or with_stats else replace(event, stats=())

    async def find(self, query):
        """The adapter's filters and order, over the store (spec/tickets.md, rule 17)."""
        status = query.status or (None if query.seller_id is not None else EventStatus.ON_SALE)
        text = (query.text or "").lower()
        found = [
            e for e in self.store.events.values()
            if (e.seller_id == query.seller_id if query.seller_id is not None else e.is_active)
            and (status is None or e.status is status)
            and (query.starts_from is None or (e.terms.starts_at is not None
                                               and e.terms.starts_at >= query.starts_from))
            and (query.starts_until is None or (e.terms.starts_at is not None
                                                and e.terms.starts_at <= query.starts_until))
            and (not text or any(text in f.lower()
                                 for f in (e.name, e.description, e.venue_name)))
        ]
        found.sort(key=lambda e: (e.terms.starts_at is None, e.terms.starts_at or e.created_at,
                                  e.id))
        items = tuple(found[query.offset:query.offset + query.limit])
        return Page(items, len(found), query.limit, query.offset)

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

    def _owe_release(self, booking_id: UUID) -> None:
        self.store.release_pending.add(booking_id)
        self.store.attempts[booking_id] = 1

    async def cancel(self, booking, transition):
        done = self._swap(booking.id, transition)
        if done:
            self._owe_release(booking.id)
        return (done, None) if done else None

    async def release_published(self, booking_ids):
        self.store.release_pending.difference_update(booking_ids)

    async def pay(self, booking, now):
        stored = self.store.bookings[booking.id]
        if stored.expires_at is not None and stored.expires_at <= now:
            return None  # the deadline is part of the compare-and-set
        done = self._swap(booking.id, PAY)
        if done is None:
            return None
        stats = SubsectionStats(done.section, done.subsection, 0, 0, 0, 0, done.quantity)
        return done, stats

    def _due(self, b: Booking, older_than_s: float, cap_s: float) -> bool:
        owed = ((b.status is BookingStatus.PROCESSING and b.id not in self.store.acked)
                or b.id in self.store.release_pending)
        attempts = self.store.attempts.get(b.id, 1)
        wait = max(older_than_s, min(cap_s, older_than_s * 2 ** (attempts - 1)))
        return owed and b.updated_at <= self.clock.now() - timedelta(seconds=wait)

    async def claim_stale(self, older_than_s, backoff_cap_s, limit):
        stale = [b for b in self.store.bookings.values()
                 if self._due(b, older_than_s, backoff_cap_s)][:limit]
        entries = []
        for b in stale:
            self.store.bookings[b.id] = replace(b, updated_at=self.clock.now())
            self.store.attempts[b.id] = self.store.attempts.get(b.id, 1) + 1
            entries.append(OutboxEntry(self.store.bookings[b.id], self.store.attempts[b.id],
                                       b.id in self.store.release_pending))
        return entries

    async def expire_due(self, now, limit):
        due = sorted((b for b in self.store.bookings.values() if b.is_due(now)),
                     key=lambda b: b.expires_at or now)[:limit]
        expired = tuple(filter(None, (self._swap(b.id, EXPIRE) for b in due)))
        counts: dict[tuple[int, str, int], int] = {}
        for booking in expired:
            self._owe_release(booking.id)
            where = (booking.event_id, booking.section, booking.subsection)
            counts[where] = counts.get(where, 0) + booking.quantity
        return Expiry(expired, tuple(
            (event_id, SubsectionStats(section, n, 0, 0, freed, 0, 0))
            for (event_id, section, n), freed in sorted(counts.items())))

    async def overdue(self, deadline_s, limit):
        cutoff = self.clock.now() - timedelta(seconds=deadline_s)
        return [b for b in self.store.bookings.values()
                if b.status is BookingStatus.PROCESSING and b.created_at < cutoff][:limit]

    async def give_up(self, booking_ids, reason):
        failed = [self._swap(i, GIVE_UP, failure_reason=reason.value) for i in booking_ids]
        for booking in filter(None, failed):
            self._owe_release(booking.id)
        return [b for b in failed if b is not None]


class FakeKeys:
    def __init__(self, store: Store, clock: FixedClock) -> None:
        self.store, self.clock = store, clock

    async def find(self, buyer_id, key, ttl_s):
        return self.store.key_use(buyer_id, key, self.clock.now() - timedelta(seconds=ttl_s))

    async def claim(self, buyer_id, key, operation, booking_id, ttl_s):
        if await self.find(buyer_id, key, ttl_s) is not None:
            return False
        self.store.keys[buyer_id, key] = (operation, booking_id, self.clock.now())
        return True

    async def purge(self, ttl_s, limit):
        cutoff = self.clock.now() - timedelta(seconds=ttl_s)
        expired = [k for k, (_, _, at) in self.store.keys.items() if at < cutoff][:limit]
        for k in expired:
            del self.store.keys[k]
        return len(expired)


class FakeUnitOfWork:
    """Commits by counting; a block that raises is rolled back (the store is restored) and
    leaves `commits` unchanged."""

    def __init__(self, store: Store, clock: FixedClock) -> None:
        self.store = store
        self.users = FakeUsers(store)
        self.events = FakeEvents(store, clock)
        self.bookings = FakeBookings(store, clock)
        self.keys = FakeKeys(store, clock)

    async def __aenter__(self):
        if self.store.fail_with is not None:
            raise self.store.fail_with
        self._snapshot = self.store.snapshot()
        return self

    async def __aexit__(self, exc_type, *_):
        if exc_type is None:
            self.store.commits += 1
        else:
            self.store.restore(self._snapshot)
