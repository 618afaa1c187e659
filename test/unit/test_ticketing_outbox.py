"""The outbox relay, the settle deadline and the broker circuit breaker over the fakes
(spec/architecture.md, guarantees 1 and 8)."""

import asyncio
import time

import pytest

from src.service.contract import BookingCancelled, BookingCreated
from src.service.lifecycle import BookingStatus
from src.service.ticketing.domain.booking import FailureReason
from test.unit.test_ticketing_use_cases import BUYER, World


@pytest.fixture
def world() -> World:
    return World(settle_deadline_s=600, publish_probe_s=1, outbox_backoff_cap_s=300)


async def test_an_acknowledged_command_is_never_sent_again(world):
    # A consumer outage: the broker acked, nothing settles. The relay must not amplify it.
    booking = await world.book(await world.event())
    assert world.store.acked == {booking.id}
    for _ in range(5):
        world.clock.advance(100)
        assert await world.service.relay_outbox() == 0
    assert len(world.publisher.sent) == 1


async def test_an_unacknowledged_command_is_resent_until_acknowledged(world):
    event_id = await world.event()
    world.publisher.fail_next = 2  # the accept path's send, then the relay's first re-send
    booking = await world.book(event_id)
    world.clock.advance(11)
    await world.service.relay_outbox()
    world.clock.advance(11)  # the 2nd re-send waits 20 s
    assert await world.service.relay_outbox() == 0
    world.clock.advance(10)
    assert await world.service.relay_outbox() == 1
    assert [c.booking_id for c in world.publisher.sent] == [booking.id]
    assert booking.id in world.store.acked
    world.clock.advance(300)
    assert await world.service.relay_outbox() == 0


async def test_a_booking_still_processing_at_the_deadline_is_given_up_and_released(world):
    booking = await world.book(await world.event())
    world.clock.advance(599)
    await world.service.relay_outbox()
    assert world.store.bookings[booking.id].status is BookingStatus.PROCESSING
    world.clock.advance(2)
    await world.service.relay_outbox()
    failed = world.store.bookings[booking.id]
    assert (failed.status, failed.failure_reason) == (
        BookingStatus.FAILED, "Booking could not be confirmed in time")
    assert (world.notifier.statuses[-1].status, world.notifier.statuses[-1].reason) == (
        "failed", FailureReason.NOT_CONFIRMED_IN_TIME.value)
    assert isinstance(world.publisher.sent[-1], BookingCancelled)
    assert world.store.release_pending == set()


async def test_many_resends_alone_never_fail_a_booking(world):
    event_id = await world.event()
    world.publisher.down = True
    booking = await world.book(event_id)
    for _ in range(20):
        world.clock.advance(25)
        await world.service.relay_outbox()
    assert world.store.attempts[booking.id] > 5
    assert world.store.bookings[booking.id].status is BookingStatus.PROCESSING


async def test_a_release_of_a_given_up_booking_is_resent_while_the_broker_is_down(world):
    booking = await world.book(await world.event())
    world.publisher.down = True
    world.clock.advance(601)
    await world.service.relay_outbox()
    assert world.store.bookings[booking.id].status is BookingStatus.FAILED
    assert world.store.release_pending == {booking.id}
    world.publisher.down = False
    world.clock.advance(11)
    await world.service.relay_outbox()
    assert isinstance(world.publisher.sent[-1], BookingCancelled)
    assert world.store.release_pending == set()


async def test_a_booking_that_settles_between_the_deadline_read_and_the_write_is_kept(world):
    booking = await world.book(await world.event())
    world.clock.advance(601)
    world.meanwhile(lambda: world.settle(booking.id, BookingStatus.PENDING_PAYMENT))
    await world.service.relay_outbox()
    assert world.store.bookings[booking.id].status is BookingStatus.PENDING_PAYMENT
    assert world.notifier.statuses == [] and len(world.publisher.sent) == 1


async def timed(world: World, event_id: int) -> float:
    started = time.monotonic()
    await world.book(event_id, quantity=1)
    return time.monotonic() - started


async def test_once_a_send_timed_out_bookings_are_answered_without_waiting(world):
    event_id = await world.event()
    world.publisher.down, world.publisher.timeout_s = True, 0.3
    assert await timed(world, event_id) >= 0.3  # the send that finds the broker gone
    calls = world.publisher.calls
    assert max([await timed(world, event_id) for _ in range(20)]) < 0.05
    assert world.publisher.calls == calls  # left to the relay: the broker is not even asked
    assert len(world.store.bookings) == 21


async def test_a_background_probe_closes_the_circuit_when_the_broker_is_back(world):
    event_id = await world.event()
    world.publisher.fail_next = 1
    await world.book(event_id, quantity=1)  # fails: the circuit opens
    world.clock.advance(1)
    probed = await world.book(event_id, quantity=1)  # due: its command is the probe
    assert not world.service.dispatch.healthy
    await asyncio.sleep(0.01)
    assert world.service.dispatch.healthy and probed.id in world.store.acked
    waited = await world.book(event_id, quantity=1)  # healthy again: the ack is waited for
    assert world.publisher.sent[-1].booking_id == waited.id and waited.id in world.store.acked


async def test_after_the_broker_is_back_the_relay_resends_the_backlog_without_backoff(world):
    event_id = await world.event()
    world.publisher.down = True
    stuck = await world.book(event_id)
    for _ in range(4):  # four failed re-sends: the next would wait 160 s
        world.clock.advance(100)
        await world.service.relay_outbox()
    world.publisher.down = False
    world.clock.advance(1)
    await world.book(event_id, quantity=1)  # the probe: acknowledged, circuit closed
    await asyncio.sleep(0.01)
    world.clock.advance(11)
    await world.service.relay_outbox()
    assert stuck.id in world.store.acked
    assert isinstance(world.publisher.sent[0], BookingCreated)


async def test_a_pubsub_outage_does_not_undo_or_fail_a_committed_cancel(world):
    booking = await world.book(await world.event())
    world.notifier.down = True
    cancelled = await world.service.cancel_booking(BUYER, booking.id)
    assert cancelled.booking.status is BookingStatus.CANCELLED
    assert isinstance(world.publisher.sent[-1], BookingCancelled)

