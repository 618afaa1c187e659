"""The batch use cases and reject with fakes: idempotency, cancellation, grouping, publishing."""

import pytest

from src.service.contract import subsection_tag
from src.service.lifecycle import BookingStatus
from src.service.reservation.application.allocate_batch import (
    position_index,
    request,
    subsection_of,
)
from src.service.reservation.bootstrap import build
from src.service.reservation.domain.allocation import AllocationStatus
from src.service.reservation.domain.reasons import NOT_ENOUGH_SEATS, NOT_PROCESSED
from test.reservation_fakes import (
    FakeBookingLedger,
    FakeSeatMap,
    cancelled,
    created,
    seat_positions,
    settle,
)
from test.reservation_flow import RecordingDeadLetters, RecordingPublisher

TAG = subsection_tag(1, "A", 1)
PENDING, FAILED = BookingStatus.PENDING_PAYMENT, BookingStatus.FAILED


@pytest.fixture
def seat_map():
    return FakeSeatMap()


@pytest.fixture
def ledger():
    return FakeBookingLedger()


@pytest.fixture
def publisher():
    return RecordingPublisher()


@pytest.fixture
def app(seat_map, ledger, publisher):
    return build(seat_map, ledger, publisher, RecordingDeadLetters())


async def test_a_batch_allocates_records_once_and_publishes(app, seat_map, ledger, publisher):
    first, second = created(quantity=2), created(positions=["2-3"])
    ledger.add(first)
    ledger.add(second)

    report = await settle(app, [first, second])

    assert (report.allocated, report.failed) == (2, 0)
    assert ledger.transactions == 1
    assert ledger.bookings[first.booking_id].seat_positions == seat_positions("1-1", "1-2")
    assert ledger.bookings[second.booking_id].seat_positions == seat_positions("2-3")
    assert seat_map.held(TAG) == [0, 1, 5]
    assert publisher.statuses() == [(first.booking_id, PENDING), (second.booking_id, PENDING)]
    assert [s.reserved for s in publisher.subsections] == [2, 1]


async def test_the_allocate_step_touches_only_the_seat_map(app, seat_map, ledger, publisher):
    command = created(quantity=2)
    ledger.add(command)

    allocated = await app.allocate([command])

    assert seat_map.held(TAG) == [0, 1]
    assert ledger.transactions == 0 and publisher.bookings == []
    ((_, allocation),) = allocated.outcomes.values()
    assert (allocation.status, allocation.seats) == (AllocationStatus.ALLOCATED, (0, 1))
    report = await app.record(allocated)
    assert (report.size, report.allocated, ledger.transactions) == (1, 1, 1)


async def test_redelivery_allocates_nothing_new_and_still_publishes(app, seat_map, ledger,
                                                                    publisher):
    command = created(quantity=2)
    ledger.add(command)
    await settle(app, [command])

    report = await settle(app, [command])

    assert report.allocated == 0
    assert seat_map.held(TAG) == [0, 1]
    assert ledger.bookings[command.booking_id].seat_positions == seat_positions("1-1", "1-2")
    assert publisher.statuses() == [(command.booking_id, PENDING)] * 2
    assert publisher.bookings[1].seat_positions == seat_positions("1-1", "1-2")


async def test_a_booking_cancelled_meanwhile_has_its_seats_released_at_once(
    app, seat_map, ledger, publisher
):
    command = created(quantity=3)
    ledger.add(command, status=BookingStatus.CANCELLED)

    report = await settle(app, [command])

    assert seat_map.held(TAG) == []
    assert report.released == 1
    assert publisher.statuses() == [(command.booking_id, BookingStatus.CANCELLED)]


async def test_a_cancel_command_releases_the_seats_and_blocks_a_late_allocation(
    app, seat_map, ledger
):
    keep, cancel = created(quantity=2), created(quantity=2)
    ledger.add(keep)
    ledger.add(cancel)
    await settle(app, [keep, cancel])
    assert seat_map.held(TAG) == [0, 1, 3, 4]  # the second pair sits together in row 2

    await settle(app, [cancelled(cancel)])
    assert seat_map.held(TAG) == [0, 1]

    await settle(app, [cancel])  # a late redelivery of the original command
    assert seat_map.held(TAG) == [0, 1]


async def test_commands_are_grouped_by_subsection_keeping_their_order(app, seat_map, ledger):
    a1, b1, a2 = created(subsection=1), created(subsection=2), created(subsection=1)
    a3 = created(subsection=1)
    for command in (a1, b1, a2, a3):
        ledger.add(command)

    await settle(app, [a1, b1, a2, cancelled(a2), a3])

    tag_b = subsection_tag(1, "A", 2)
    assert [call for call in seat_map.calls if call[1] == TAG] == [
        ("allocate", TAG, [a1.booking_id, a2.booking_id]),
        ("release", TAG, [a2.booking_id]),
        ("allocate", TAG, [a3.booking_id]),
    ]
    assert [call for call in seat_map.calls if call[1] == tag_b] == [
        ("allocate", tag_b, [b1.booking_id]),
    ]


async def test_first_runs_of_every_subsection_share_one_seat_map_round_trip(app, seat_map, ledger):
    a1, b1, c1 = (created(subsection=n) for n in (1, 2, 3))
    a2 = created(subsection=1)
    for command in (a1, b1, c1, a2):
        ledger.add(command)

    await settle(app, [a1, b1, c1, cancelled(a1), a2])

    tags = [subsection_tag(1, "A", n) for n in (1, 2, 3)]
    assert seat_map.round_trips == [tags, [TAG]]
    assert [c for c in seat_map.calls if c[0] == "release"] == [("release", TAG, [a1.booking_id])]


async def test_not_enough_seats_fails_the_booking_with_a_reason(app, seat_map, ledger, publisher):
    big, late = created(quantity=4), created(quantity=4)
    ledger.add(big)
    ledger.add(late)

    report = await settle(app, [big, late])

    assert (report.allocated, report.failed) == (1, 1)
    assert ledger.bookings[late.booking_id].status == FAILED
    assert publisher.bookings[1].failure_reason == NOT_ENOUGH_SEATS


async def test_a_failed_booking_redelivered_later_does_not_keep_seats(app, seat_map, ledger):
    blocker, loser = created(quantity=4), created(quantity=4)
    ledger.add(blocker)
    ledger.add(loser)
    await settle(app, [blocker, loser])
    await settle(app, [cancelled(blocker)])

    await settle(app, [loser])  # seats are free now, but the booking already failed

    assert ledger.bookings[loser.booking_id].status == FAILED
    assert seat_map.held(TAG) == []


async def test_an_unknown_booking_gets_no_seats_and_no_message(app, seat_map, publisher):
    await settle(app, [created(quantity=2)])

    assert seat_map.held(TAG) == []
    assert publisher.bookings == []


async def test_reject_releases_refuses_through_settle_and_tells_the_buyer(
    app, seat_map, ledger, publisher
):
    command = created(quantity=2)
    ledger.add(command)
    await seat_map.allocate(subsection_of(command), [request(command)])

    await app.reject(command)

    assert seat_map.held(TAG) == []
    assert ledger.transactions == 1  # the one settle path, not a separate write
    state = ledger.bookings[command.booking_id]
    assert (state.status, state.failure_reason) == (FAILED, NOT_PROCESSED)
    assert publisher.statuses() == [(command.booking_id, FAILED)]


async def test_reject_is_a_compare_and_set_and_keeps_the_seats_postgres_holds(
    app, seat_map, ledger, publisher
):
    command = created(quantity=2)
    ledger.add(command)
    await settle(app, [command])  # an earlier delivery held the seats

    await app.reject(command)

    state = ledger.bookings[command.booking_id]
    assert (state.status, state.failure_reason) == (PENDING, None)
    assert len(seat_map.held(TAG)) == 2  # still the booking's: the seat map agrees with PG
    assert publisher.statuses() == [(command.booking_id, PENDING)] * 2
    assert not publisher.bookings[1].changed


async def test_reject_of_an_unknown_booking_publishes_nothing(app, publisher):
    await app.reject(created())

    assert publisher.bookings == []


@pytest.mark.parametrize(
    ("text", "index"),
    [("1-1", 0), ("2-3", 5), ("3-1", -1), ("1-4", -1), ("0-1", -1), ("x-1", -1), ("1", -1),
     (" 1-1", -1), ("1-1-1", -1)],
)
def test_a_requested_position_becomes_a_bit_index_or_minus_one(text, index):
    assert position_index(text, rows=2, cols=3) == index
