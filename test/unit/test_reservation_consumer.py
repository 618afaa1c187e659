"""The consumer's error policy with fakes: DLQ for poison, one-by-one fallback, retry."""

import asyncio

from aiokafka import ConsumerRecord

from src.service.contract import encode, subsection_tag
from src.service.reservation.application.ports import Unavailable
from src.service.reservation.bootstrap import build
from src.service.reservation.entrypoints.settling import settle_until_done
from src.service.reservation.settings import ConsumerSettings
from test.reservation_fakes import (
    FakeBookingLedger,
    FakeSeatMap,
    RecordingDeadLetters,
    RecordingPublisher,
    created,
)

TAG = subsection_tag(1, "A", 1)
NO_BACKOFF = ConsumerSettings(backoff_min_s=0, backoff_max_s=0)


def record(value: bytes, offset: int = 0) -> ConsumerRecord:
    return ConsumerRecord("t", 0, offset, 0, 0, b"k", value, None, 1, len(value), ())


class FlakySeatMap(FakeSeatMap):
    """Unreachable for the first `failures` allocate calls."""

    def __init__(self, failures: int):
        super().__init__()
        self.failures = failures

    async def allocate(self, where, requests):
        if self.failures:
            self.failures -= 1
            raise Unavailable("kvrocks down")
        return await super().allocate(where, requests)


async def test_poison_goes_to_the_dlq_and_the_rest_is_settled():
    ledger, letters = FakeBookingLedger(), RecordingDeadLetters()
    good = created()
    ledger.add(good)
    app = build(FakeSeatMap(), ledger, RecordingPublisher(), letters)

    done = await settle_until_done(
        app, [record(b"{not json", 0), record(encode(good), 1)], NO_BACKOFF, asyncio.Event()
    )

    assert done
    assert [(x.source, x.value) for x in letters.letters] == [("t:0:0", b"{not json")]
    assert letters.letters[0].reason.startswith("undecodable")
    assert ledger.bookings[good.booking_id].status == "pending_payment"


async def test_a_message_failing_alone_is_dead_lettered_and_its_booking_failed():
    good, bad = created(quantity=1), created(quantity=2)
    seat_map, letters = FakeSeatMap(), RecordingDeadLetters()
    ledger = FakeBookingLedger(conflict_on=[bad.booking_id])
    ledger.add(good)
    ledger.add(bad)
    app = build(seat_map, ledger, RecordingPublisher(), letters)

    records = [record(encode(good), 0), record(encode(bad), 1)]
    assert await settle_until_done(app, records, NO_BACKOFF, asyncio.Event())

    assert ledger.bookings[good.booking_id].status == "pending_payment"
    assert ledger.bookings[bad.booking_id].status == "failed"
    assert ledger.bookings[bad.booking_id].failure_reason.startswith("SeatConflict")
    assert [letter.source for letter in letters.letters] == ["t:0:1"]
    assert seat_map.held(TAG) == [0]  # only the good booking keeps its seat


async def test_an_unreachable_dependency_retries_the_same_batch():
    seat_map, ledger, letters = FlakySeatMap(2), FakeBookingLedger(), RecordingDeadLetters()
    command = created()
    ledger.add(command)
    app = build(seat_map, ledger, RecordingPublisher(), letters)

    assert await settle_until_done(app, [record(encode(command))], NO_BACKOFF, asyncio.Event())

    assert ledger.bookings[command.booking_id].status == "pending_payment"
    assert letters.letters == []


async def test_a_stop_while_unreachable_gives_up_without_settling():
    ledger, stop = FakeBookingLedger(), asyncio.Event()
    command = created()
    ledger.add(command)
    app = build(FlakySeatMap(failures=10**6), ledger, RecordingPublisher(), RecordingDeadLetters())
    stop.set()

    assert not await settle_until_done(app, [record(encode(command))], NO_BACKOFF, stop)
    assert ledger.bookings[command.booking_id].status == "processing"
