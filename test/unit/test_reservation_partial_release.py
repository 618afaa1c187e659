"""A refund's partial release through the batch use cases, over fakes: only the named seats
are freed, the booking keeps the others (spec/tickets.md, rule 15)."""

from dataclasses import replace

import pytest

from src.service.contract import BookingCancelled, ReleaseOnly, decode_command, encode
from src.service.reservation.application.batches import released_bits
from src.service.reservation.bootstrap import build
from src.service.seats import parse_all
from test.reservation_fakes import (
    FakeBookingLedger,
    FakeSeatMap,
    cancelled,
    created,
    settle,
)
from test.reservation_flow import RecordingDeadLetters, RecordingPublisher
from test.unit.test_reservation_settle import TAG


@pytest.fixture
def seat_map():
    return FakeSeatMap()


@pytest.fixture
def ledger():
    return FakeBookingLedger()


@pytest.fixture
def app(seat_map, ledger):
    return build(seat_map, ledger, RecordingPublisher(), RecordingDeadLetters())


async def held(app, ledger, positions=("1-1", "1-2", "1-3")):
    """A booking the reservation service allocated and PostgreSQL holds."""
    command = created(positions=list(positions))
    ledger.add(command)
    await settle(app, [command])
    return command


def refunded_in_postgres(ledger, command, *kept: str) -> None:
    """What the refund's transaction leaves in PostgreSQL: the booking holds only `kept`."""
    state = ledger.bookings[command.booking_id]
    ledger.bookings[command.booking_id] = replace(state, seat_positions=parse_all(kept))


def test_released_bits_are_none_for_a_full_release_and_the_seats_bits_for_a_partial_one():
    command = created(positions=["1-1", "2-3"], rows=2, cols=3)
    assert released_bits(command) is None
    assert released_bits(cancelled(command)) is None
    assert released_bits(cancelled(command, ["2-3", "1-1"])) == (5, 0)
    assert released_bits(cancelled(command, ["x", "1-9", "2-2"])) == (4,)  # not seats: nothing


def test_a_partial_release_survives_the_wire_and_an_old_message_still_means_all():
    command = cancelled(created(positions=["1-2"]), ["1-2"])
    assert decode_command(encode(command)) == command
    old = encode(command).replace(b',"only":{"seat_positions":["1-2"],"cols":3}', b"")
    assert b"only" not in old
    decoded = decode_command(old)
    assert isinstance(decoded, BookingCancelled) and decoded.only is None
    assert ReleaseOnly(seat_positions=[], cols=1).seat_positions == []


async def test_a_partial_release_frees_only_the_refunded_seats_and_is_idempotent(
    app, seat_map, ledger
):
    booking = await held(app, ledger)
    assert seat_map.held(TAG) == [0, 1, 2]
    await settle(app, [cancelled(booking, ["1-2"])])
    assert seat_map.held(TAG) == [0, 2] and seat_map.alloc[TAG][booking.booking_id] == (0, 2)
    await settle(app, [cancelled(booking, ["1-2"])])  # a redelivery frees nothing more
    assert seat_map.held(TAG) == [0, 2]
    await settle(app, [booking])  # a redelivered BookingCreated keeps what is left
    assert seat_map.held(TAG) == [0, 2]


async def test_the_freed_seat_goes_to_the_next_booking_and_the_last_refund_tombstones(
    app, seat_map, ledger
):
    booking = await held(app, ledger, ("1-1", "1-2"))
    refunded_in_postgres(ledger, booking, "1-2")  # the refund's transaction comes first
    await settle(app, [cancelled(booking, ["1-1"])])
    newcomer = await held(app, ledger, ("1-1",))
    assert seat_map.alloc[TAG][newcomer.booking_id] == (0,)
    await settle(app, [cancelled(booking, ["1-2"])])
    assert seat_map.alloc[TAG][booking.booking_id] == ()  # nothing kept: the tombstone
    await settle(app, [cancelled(booking)])  # a full release afterwards frees nobody else's
    assert seat_map.held(TAG) == [0]
