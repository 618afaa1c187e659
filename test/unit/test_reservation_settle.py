"""The settle, reject use cases with fakes: idempotency, cancellation, grouping, publishing."""

import pytest

from src.service.contract import subsection_tag
from src.service.reservation.application.reserve import request, subsection_of
from src.service.reservation.bootstrap import build
from test.reservation_fakes import (
    FakeBookingLedger,
    FakeSeatMap,
    RecordingDeadLetters,
    RecordingPublisher,
    cancelled,
    created,
)

TAG = subsection_tag(1, "A", 1)


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

    report = await app.settle([first, second])

    assert (report.allocated, report.failed) == (2, 0)
    assert ledger.transactions == 1
    assert ledger.bookings[first.booking_id].seat_positions == ("1-1", "1-2")
    assert ledger.bookings[second.booking_id].seat_positions == ("2-3",)
    assert seat_map.held(TAG) == [0, 1, 5]
    assert publisher.statuses() == [
        (first.booking_id, "pending_payment"), (second.booking_id, "pending_payment")
    ]
    assert [s.reserved for s in publisher.subsections] == [2, 1]


async def test_redelivery_allocates_nothing_new_and_still_publishes(app, seat_map, ledger,
                                                                    publisher):
    command = created(quantity=2)
    ledger.add(command)
    await app.settle([command])

    report = await app.settle([command])

    assert report.allocated == 0
    assert seat_map.held(TAG) == [0, 1]
    assert ledger.bookings[command.booking_id].seat_positions == ("1-1", "1-2")
    assert publisher.statuses() == [(command.booking_id, "pending_payment")] * 2
    assert publisher.bookings[1].seat_positions == ("1-1", "1-2")


async def test_a_booking_cancelled_meanwhile_has_its_seats_released_at_once(
    app, seat_map, ledger, publisher
):
    command = created(quantity=3)
    ledger.add(command, status="cancelled")

    report = await app.settle([command])

    assert seat_map.held(TAG) == []
    assert report.released == 1
    assert publisher.statuses() == [(command.booking_id, "cancelled")]


async def test_a_cancel_command_releases_the_seats_and_blocks_a_late_allocation(
    app, seat_map, ledger
):
    keep, cancel = created(quantity=2), created(quantity=2)
    ledger.add(keep)
    ledger.add(cancel)
    await app.settle([keep, cancel])
    assert seat_map.held(TAG) == [0, 1, 3, 4]  # the second pair sits together in row 2

    await app.settle([cancelled(cancel)])
    assert seat_map.held(TAG) == [0, 1]

    await app.settle([cancel])  # a late redelivery of the original command
    assert seat_map.held(TAG) == [0, 1]


async def test_commands_are_grouped_by_subsection_keeping_their_order(app, seat_map, ledger):
    a1, b1, a2 = created(subsection=1), created(subsection=2), created(subsection=1)
    a3 = created(subsection=1)
    for command in (a1, b1, a2, a3):
        ledger.add(command)

    await app.settle([a1, b1, a2, cancelled(a2), a3])

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

    await app.settle([a1, b1, c1, cancelled(a1), a2])

    tags = [subsection_tag(1, "A", n) for n in (1, 2, 3)]
    assert seat_map.round_trips == [tags, [TAG]]
    assert [c for c in seat_map.calls if c[0] == "release"] == [("release", TAG, [a1.booking_id])]


async def test_not_enough_seats_fails_the_booking_with_a_reason(app, seat_map, ledger, publisher):
    big, late = created(quantity=4), created(quantity=4)
    ledger.add(big)
    ledger.add(late)

    report = await app.settle([big, late])

    assert (report.allocated, report.failed) == (1, 1)
    assert ledger.bookings[late.booking_id].status == "failed"
    assert publisher.bookings[1].failure_reason == "not enough seats available"


async def test_a_failed_booking_redelivered_later_does_not_keep_seats(app, seat_map, ledger):
    blocker, loser = created(quantity=4), created(quantity=4)
    ledger.add(blocker)
    ledger.add(loser)
    await app.settle([blocker, loser])
    await app.settle([cancelled(blocker)])

    await app.settle([loser])  # seats are free now, but the booking already failed

    assert ledger.bookings[loser.booking_id].status == "failed"
    assert seat_map.held(TAG) == []


async def test_an_unknown_booking_gets_no_seats_and_no_message(app, seat_map, publisher):
    await app.settle([created(quantity=2)])

    assert seat_map.held(TAG) == []
    assert publisher.bookings == []


async def test_reject_releases_fails_and_tells_the_buyer(app, seat_map, ledger, publisher):
    command = created(quantity=2)
    ledger.add(command)
    await seat_map.allocate(subsection_of(command), [request(command)])

    await app.reject(command, "SeatConflict: boom")

    assert seat_map.held(TAG) == []
    assert ledger.bookings[command.booking_id].status == "failed"
    assert publisher.statuses() == [(command.booking_id, "failed")]

