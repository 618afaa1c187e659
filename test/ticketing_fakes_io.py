"""Hand-written fakes of the ticketing ports outside the unit of work: the inbox, the ack
log, the seat inventory, the broker, pub/sub and the password hasher."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

from src.service.lifecycle import LIMIT_COUNTED, OPEN
from src.service.ticketing.application.ports import PublishFailed, Unavailable
from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.idempotency import KeyUse, Operation
from src.service.ticketing.domain.sales import Holding, admit
from test.ticketing_fakes import FixedClock, Store


class FakeInbox:
    """Stores new bookings (and their keys) straight into the shared store; `fail_with` is
    raised by every call while set."""

    def __init__(self, store: Store, clock: FixedClock, key_ttl_s: float = 86400.0) -> None:
        self.store, self.clock, self.ttl_s = store, clock, key_ttl_s
        self.fail_with: Exception | None = None

    def _since(self) -> datetime:
        return self.clock.now() - timedelta(seconds=self.ttl_s)

    async def add(self, booking: Booking, key: str | None = None,
                  limited: bool = False) -> KeyUse | None:
        if self.fail_with is not None:
            raise self.fail_with
        if limited:  # the adapter's rule: what the buyer holds of the event, then admit
            event = self.store.events[booking.event_id]
            mine = [b for b in self.store.bookings.values()
                    if (b.buyer_id, b.event_id) == (booking.buyer_id, booking.event_id)
                    and b.status in LIMIT_COUNTED]
            held = Holding(sum(b.quantity for b in mine),
                           sum(b.status in OPEN for b in mine))
            admit(event.sales, held, booking.quantity)
        if key is not None:
            used = self.store.key_use(booking.buyer_id, key, self._since())
            if used is not None:
                return used
            self.store.keys[booking.buyer_id, key] = (Operation.CREATE, booking.id,
                                                      self.clock.now())
        self.store.bookings[booking.id] = replace(booking)
        return None

    async def find(self, buyer_id: int, key: str) -> KeyUse | None:
        return self.store.key_use(buyer_id, key, self._since())


class RecordingAcks:
    """Notes acks straight into the store (the real one writes them in the background)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def acked(self, booking_id: UUID) -> None:
        self.store.acked.add(booking_id)


class FakeInventory:
    """Availability counters and taken seats per subsection tag; a subsection without a
    counter is one the reservation service never wrote."""

    def __init__(self) -> None:
        self.available: dict[str, int] = {}
        self.taken: dict[str, set[int]] = {}
        self.fail_with: Exception | None = None

    async def check(self, tag, seat_indexes):
        if self.fail_with is not None:
            raise self.fail_with
        taken = self.taken.get(tag, set())
        return self.available.get(tag), [i in taken for i in seat_indexes]


class RecordingPublisher:
    """Remembers every command; `fail_next` makes the next N publishes fail; while `down`,
    every publish fails after `timeout_s` (a broker that never answers)."""

    def __init__(self) -> None:
        self.sent: list = []
        self.fail_next = 0
        self.down = False
        self.timeout_s = 0.0
        self.calls = 0

    async def publish(self, command) -> None:
        self.calls += 1
        if self.down:
            await asyncio.sleep(self.timeout_s)
            raise PublishFailed("broker timed out")
        if self.fail_next:
            self.fail_next -= 1
            raise PublishFailed("broker unavailable")
        self.sent.append(command)


class RecordingNotifier:
    def __init__(self) -> None:
        self.statuses: list = []
        self.states: list = []
        self.attendances: list = []
        self.down = False

    async def booking_status(self, update) -> None:
        if self.down:
            raise Unavailable("pub/sub unavailable")
        self.statuses.append(update)

    async def subsection_state(self, state) -> None:
        self.states.append(state)

    async def attendance(self, update) -> None:
        if self.down:
            raise Unavailable("pub/sub unavailable")
        self.attendances.append(update)


class FakeFeed:
    def __init__(self) -> None:
        self.messages: dict[str, list[bytes]] = {}
        self.fail_with: Exception | None = None

    @asynccontextmanager
    async def subscribe(
        self, channel: str, *, queue_size: int | None = None
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        if self.fail_with is not None:
            raise self.fail_with

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
