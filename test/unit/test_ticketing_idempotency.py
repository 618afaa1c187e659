"""Idempotency-Key on create, pay and cancel, over the fakes (spec/architecture.md,
guarantee 9): a retry gets what the first request did, never a second booking or payment."""

import pytest

from src.service.lifecycle import BookingStatus
from src.service.ticketing.domain.errors import Conflict, InvalidRequest
from src.service.ticketing.domain.idempotency import Operation, parse_key
from test.unit.test_ticketing_use_cases import BUYER, OTHER, World


@pytest.fixture
def world() -> World:
    return World(idempotency_ttl_s=3600)


async def test_a_retried_booking_returns_the_first_one_and_stores_nothing_new(world):
    event_id = await world.event()
    first = await world.reply(event_id, seats=["1-1", "1-2"], key="k-1")
    world.settle(first.booking.id, BookingStatus.PENDING_PAYMENT)
    again = await world.reply(event_id, seats=["1-2", "1-1"], key="k-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert (again.booking.id, again.booking.status) == (first.booking.id, "pending_payment")
    assert len(world.store.bookings) == 1 and len(world.publisher.sent) == 1


async def test_a_retry_after_the_booking_took_the_last_seats_still_gets_it(world):
    event_id = await world.event()
    first = await world.book(event_id, seats=["1-1", "1-2"], key="k-1")
    world.inventory.available[f"{event_id}:A:1"] = 0  # the first booking took them
    world.inventory.taken[f"{event_id}:A:1"] = {0, 1}
    again = await world.reply(event_id, seats=["1-1", "1-2"], key="k-1")
    assert (again.booking.id, again.replayed) == (first.id, True)
    with pytest.raises(InvalidRequest, match="Insufficient seats"):  # no key: the rule holds
        await world.book(event_id, seats=["1-1", "1-2"])


async def test_a_key_reused_for_another_request_is_a_conflict(world):
    event_id = await world.event()
    await world.book(event_id, quantity=2, key="k-1")
    with pytest.raises(Conflict, match="Idempotency-Key was used for another request"):
        await world.book(event_id, quantity=3, key="k-1")
    assert len(world.store.bookings) == 1


async def test_another_buyers_key_never_collides(world):
    event_id = await world.event()
    mine = await world.book(event_id, key="same")
    theirs = await world.reply(event_id, key="same", buyer=OTHER)
    assert theirs.booking.id != mine.id and not theirs.replayed


async def test_an_expired_key_is_ignored_and_purged_by_the_relay(world):
    event_id = await world.event()
    first = await world.book(event_id, key="k-1")
    world.settle(first.id, BookingStatus.PENDING_PAYMENT)
    world.clock.advance(3601)
    again = await world.reply(event_id, key="k-1")
    assert again.booking.id != first.id and not again.replayed
    world.clock.advance(3601)
    await world.service.relay_outbox()
    assert world.store.keys == {}


async def test_a_retried_pay_returns_the_paid_booking_and_pays_once(world):
    booking = await world.book(await world.event())
    world.settle(booking.id, BookingStatus.PENDING_PAYMENT)
    first = await world.service.pay_booking(BUYER, booking.id, "pay-1")
    again = await world.service.pay_booking(BUYER, booking.id, "pay-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.booking.status is BookingStatus.COMPLETED
    assert [u.status for u in world.notifier.statuses] == ["completed"]


async def test_a_retried_cancel_returns_the_cancelled_booking(world):
    booking = await world.book(await world.event())
    first = await world.service.cancel_booking(BUYER, booking.id, "cancel-1")
    again = await world.service.cancel_booking(BUYER, booking.id, "cancel-1")
    assert again.replayed and again.booking.status is BookingStatus.CANCELLED
    assert first.booking.updated_at == again.booking.updated_at
    with pytest.raises(InvalidRequest, match="already in terminal state"):  # without the key
        await world.service.cancel_booking(BUYER, booking.id)


async def test_a_key_used_on_one_booking_or_operation_conflicts_on_another(world):
    event_id = await world.event()
    one, two = await world.book(event_id, key="b-1"), await world.book(event_id, key="b-2")
    await world.service.cancel_booking(BUYER, one.id, "act")
    with pytest.raises(Conflict):
        await world.service.cancel_booking(BUYER, two.id, "act")
    with pytest.raises(Conflict):
        await world.service.pay_booking(BUYER, one.id, "act")
    with pytest.raises(Conflict):  # a creation's key is not a cancellation's
        await world.service.cancel_booking(BUYER, two.id, "b-1")
    assert world.store.bookings[two.id].status is BookingStatus.PROCESSING


async def test_a_refused_pay_records_no_key(world):
    booking = await world.book(await world.event())
    with pytest.raises(InvalidRequest, match="processing state"):
        await world.service.pay_booking(BUYER, booking.id, "pay-1")
    world.settle(booking.id, BookingStatus.PENDING_PAYMENT)
    paid = await world.service.pay_booking(BUYER, booking.id, "pay-1")
    assert not paid.replayed and paid.booking.status is BookingStatus.COMPLETED


async def test_a_pay_whose_key_is_claimed_between_its_read_and_its_write_is_replayed(world):
    booking = await world.book(await world.event())
    world.settle(booking.id, BookingStatus.PENDING_PAYMENT)

    def concurrent_retry() -> None:  # the same request, sent twice, wins the race
        world.store.keys[BUYER.user_id, "pay-1"] = (Operation.PAY, booking.id, world.clock.now())
        world.settle(booking.id, BookingStatus.COMPLETED)
    world.meanwhile(concurrent_retry)
    reply = await world.service.pay_booking(BUYER, booking.id, "pay-1")
    assert reply.replayed and reply.booking.status is BookingStatus.COMPLETED
    assert world.notifier.statuses == []  # this request paid nothing


async def test_a_cancel_whose_booking_settles_between_read_and_write_rolls_its_key_back(world):
    booking = await world.book(await world.event())
    world.meanwhile(lambda: world.settle(booking.id, BookingStatus.FAILED))
    with pytest.raises(InvalidRequest, match="Cannot cancel failed booking"):
        await world.service.cancel_booking(BUYER, booking.id, "cancel-1")
    assert (BUYER.user_id, "cancel-1") not in world.store.keys


@pytest.mark.parametrize("raw", ["", "x" * 256, "caf\u00e9", "tab\there", "\x7f"])
def test_a_key_must_be_1_to_255_printable_ascii_characters(raw):
    with pytest.raises(InvalidRequest, match="^Invalid Idempotency-Key$"):
        parse_key(raw)


def test_valid_keys_pass_unchanged():
    assert parse_key("x" * 255) == "x" * 255
    assert parse_key("a b-~!") == "a b-~!" and parse_key(None) is None
