"""Ticketing use cases over hand-written fakes: outcomes are read from the fakes' state."""

from dataclasses import replace

import pytest

from src.service.contract import BookingCancelled, BookingCreated
from src.service.lifecycle import BookingStatus
from src.service.ticketing.application.create_booking import BookingRequest
from src.service.ticketing.application.create_event import EventDraft
from src.service.ticketing.bootstrap import build
from src.service.ticketing.domain.booking import SeatSelectionMode
from src.service.ticketing.domain.errors import Forbidden, InvalidRequest, NotFound
from src.service.ticketing.domain.user import Principal, Role, User
from src.service.ticketing.settings import TicketingSettings
from test.ticket_fakes import BUYER, LAYOUT, OTHER, SELLER, TicketStore, TicketUnitOfWork
from test.ticketing_fakes import FixedClock, SequentialIds
from test.ticketing_fakes_io import (
    FakeFeed,
    FakeInbox,
    FakeInventory,
    PlainHasher,
    RecordingAcks,
    RecordingNotifier,
    RecordingPublisher,
)


class World:
    def __init__(self, **settings) -> None:
        self.store, self.clock = TicketStore(), FixedClock()
        self.inventory, self.publisher = FakeInventory(), RecordingPublisher()
        self.notifier, self.feed = RecordingNotifier(), FakeFeed()
        self.hasher = PlainHasher()
        for principal in (SELLER, BUYER, OTHER):  # accounts behind the principals' tokens
            self.store.users[principal.user_id] = User(
                principal.user_id, f"user{principal.user_id}@x.io", "x", principal.role)
        self.settings = TicketingSettings(**{"outbox_republish_after_s": 10} | settings)
        self.inbox = FakeInbox(self.store, self.clock, self.settings.idempotency_ttl_s)
        self.service = self.process()

    def process(self, **adapters):
        """The service as one more API process over the same store would see it."""
        return build(
            self.settings, uow=self.uow,
            inbox=self.inbox, inventory=self.inventory, publisher=self.publisher,
            acks=RecordingAcks(self.store), notifier=self.notifier, feed=self.feed,
            hasher=self.hasher, clock=self.clock, ids=SequentialIds(), **adapters,
        )

    def uow(self) -> TicketUnitOfWork:
        self.opened = getattr(self, "opened", 0) + 1
        change = getattr(self, "changes", {}).pop(self.opened, None)
        if change is not None:
            change()
        return TicketUnitOfWork(self.store, self.clock)

    def meanwhile(self, change, nth: int = 2) -> None:
        """Run `change` (another request's committed write) right before the `nth` unit of
        work opened from now: between a use case's read and its write."""
        self.changes = {getattr(self, "opened", 0) + nth: change}

    async def event(self) -> int:
        return (await self.service.create_event(SELLER, EventDraft("Show", "", "Hall", LAYOUT))).id

    async def book(self, event_id: int, quantity: int = 2, seats: list[str] | None = None,
                   key: str | None = None, buyer=BUYER):
        return (await self.reply(event_id, quantity, seats, key, buyer)).booking

    async def reply(self, event_id: int, quantity: int = 2, seats: list[str] | None = None,
                    key: str | None = None, buyer=BUYER):
        mode = SeatSelectionMode.MANUAL if seats else SeatSelectionMode.BEST_AVAILABLE
        request = BookingRequest(event_id, "A", 1, quantity, mode, seats or [])
        return await self.service.create_booking(buyer, request, key)

    def settle(self, booking_id, status: BookingStatus) -> None:
        self.store.bookings[booking_id] = replace(self.store.bookings[booking_id], status=status)


@pytest.fixture
def world() -> World:
    return World()


async def test_a_booking_is_stored_processing_then_published(world):
    booking = await world.book(await world.event(), seats=["1-1", "1-2"])
    assert world.store.bookings[booking.id].status is BookingStatus.PROCESSING
    [command] = world.publisher.sent
    assert isinstance(command, BookingCreated)
    assert (command.booking_id, command.total_price, command.config.cols) == (booking.id, 500, 5)


async def test_a_failed_publish_still_keeps_the_booking_for_the_outbox(world):
    event_id = await world.event()
    world.publisher.fail_next = 1
    booking = await world.book(event_id)
    assert world.publisher.sent == []
    world.clock.advance(11)
    assert await world.service.relay_outbox() == 1
    assert [c.booking_id for c in world.publisher.sent] == [booking.id]


async def test_fail_fast_when_fewer_seats_are_free_than_asked(world):
    event_id = await world.event()
    world.inventory.available[f"{event_id}:A:1"] = 1
    with pytest.raises(InvalidRequest, match="Insufficient seats"):
        await world.book(event_id, quantity=2)
    assert world.store.bookings == {} and world.publisher.sent == []


async def test_taken_manual_seats_are_refused_by_name(world):
    event_id = await world.event()
    world.inventory.taken[f"{event_id}:A:1"] = {1}
    with pytest.raises(InvalidRequest, match="Seats not available: 1-2"):
        await world.book(event_id, seats=["1-1", "1-2"])


async def test_sellers_cannot_book_and_buyers_cannot_create_events(world):
    event_id = await world.event()
    with pytest.raises(Forbidden):
        await world.service.create_booking(
            SELLER, BookingRequest(event_id, "A", 1, 1, SeatSelectionMode.BEST_AVAILABLE, []))
    with pytest.raises(Forbidden):
        await world.service.create_event(BUYER, EventDraft("x", "", "", LAYOUT))


async def test_unknown_subsection_is_not_found(world):
    event_id = await world.event()
    with pytest.raises(NotFound):
        await world.service.create_booking(
            BUYER, BookingRequest(event_id, "A", 2, 1, SeatSelectionMode.BEST_AVAILABLE, []))


async def test_a_fresh_subsection_without_a_counter_is_bounded_by_its_size(world):
    # The reservation service has written no seat map yet: the fail-fast check falls back to
    # the subsection's size.
    tiny = {"rows": 1, "cols": 3, "sections": [{"name": "A", "price": 1, "subsections": 1}]}
    small = (await world.service.create_event(SELLER, EventDraft("S", "", "", tiny))).id
    with pytest.raises(InvalidRequest, match="Insufficient seats"):
        await world.book(small, quantity=4)
    assert (await world.book(small, quantity=3)).quantity == 3


async def test_creating_an_event_writes_no_seat_map(world):
    await world.event()
    assert world.inventory.available == {} and world.store.commits == 1


async def test_cancel_publishes_release_and_announces(world):
    booking = await world.book(await world.event())
    world.settle(booking.id, BookingStatus.PENDING_PAYMENT)
    cancelled = (await world.service.cancel_booking(BUYER, booking.id)).booking
    assert cancelled.status is BookingStatus.CANCELLED
    assert isinstance(world.publisher.sent[-1], BookingCancelled)
    assert world.notifier.statuses[-1].status == "cancelled"
    assert world.store.release_pending == set()


async def test_unacknowledged_release_is_relayed_by_the_outbox(world):
    booking = await world.book(await world.event())
    world.publisher.fail_next = 1
    await world.service.cancel_booking(BUYER, booking.id)
    assert world.publisher.calls == 2  # the release was sent once and failed
    assert world.store.release_pending == {booking.id}
    world.clock.advance(11)
    await world.service.relay_outbox()
    assert isinstance(world.publisher.sent[-1], BookingCancelled)
    assert world.store.release_pending == set()


async def test_only_the_buyer_may_cancel_or_pay(world):
    booking = await world.book(await world.event())
    with pytest.raises(Forbidden):
        await world.service.cancel_booking(OTHER, booking.id)
    with pytest.raises(Forbidden):
        await world.service.pay_booking(OTHER, booking.id)
    assert world.store.bookings[booking.id].status is BookingStatus.PROCESSING


async def test_pay_completes_and_announces_completed(world):
    booking = await world.book(await world.event())
    with pytest.raises(InvalidRequest, match="processing state"):
        await world.service.pay_booking(BUYER, booking.id)
    world.settle(booking.id, BookingStatus.PENDING_PAYMENT)
    paid = (await world.service.pay_booking(BUYER, booking.id)).booking
    assert paid.status is BookingStatus.COMPLETED
    assert world.notifier.statuses[-1].status == "completed"
    assert world.notifier.states[-1].sold == 2


async def test_others_see_no_booking_but_the_seller_does(world):
    booking = await world.book(await world.event())
    with pytest.raises(NotFound):
        await world.service.get_booking(OTHER, booking.id)
    assert (await world.service.get_booking(SELLER, booking.id)).booking.id == booking.id
    assert [b.id for b in await world.service.list_bookings(SELLER, None)] == [booking.id]
    assert await world.service.list_bookings(OTHER, None) == []


async def test_register_and_login(world):
    await world.service.register_user("A@X.io", "bright-orange-kite", "Ann", Role.BUYER)
    user, token = await world.service.log_in("a@x.io", "bright-orange-kite")
    assert world.service.tokens.read(token) == (user.id, 0)
    assert await world.service.authenticate(token) == Principal(user.id, Role.BUYER)
    with pytest.raises(InvalidRequest, match="already registered"):
        await world.service.register_user("a@x.io", "bright-orange-kite", "Ann", Role.BUYER)
