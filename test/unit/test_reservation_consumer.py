"""The consumer's error policy (`failures.py`) with fakes: DLQ for poison, one-by-one fallback,
retry, and each polled batch decoded once."""

import asyncio

from aiokafka import ConsumerRecord

from src.service.contract import encode, subsection_tag
from src.service.lifecycle import BookingStatus
from src.service.reservation.application.ports import Unavailable
from src.service.reservation.bootstrap import build
from src.service.reservation.domain.reasons import NOT_PROCESSED, SEATS_TAKEN
from src.service.reservation.entrypoints import failures
from src.service.reservation.entrypoints.batch import decode
from src.service.reservation.settings import ConsumerSettings
from test.reservation_fakes import (
    FakeBookingLedger,
    FakeSeatMap,
    cancelled,
    created,
)
from test.reservation_flow import RecordingDeadLetters, RecordingPublisher

TAG = subsection_tag(1, "A", 1)
NO_BACKOFF = ConsumerSettings(backoff_min_s=0, backoff_max_s=0)
PENDING, FAILED = BookingStatus.PENDING_PAYMENT, BookingStatus.FAILED


def record(value: bytes, offset: int = 0) -> ConsumerRecord:
    return ConsumerRecord("t", 0, offset, 0, 0, b"k", value, None, 1, len(value), ())


class FlakySeatMap(FakeSeatMap):
    """Unreachable for the first `failures` allocate calls."""

    def __init__(self, failures: int):
        super().__init__()
        self.failures = failures

    async def allocate(self, where, requests, generation=-1):
        if self.failures:
            self.failures -= 1
            raise Unavailable("kvrocks down")
        return await super().allocate(where, requests, generation)


class FlakyDeadLetters(RecordingDeadLetters):
    """Unreachable for the first `failures` sends."""

    def __init__(self, failures: int):
        super().__init__()
        self.failures = failures

    async def send(self, letter):
        if self.failures:
            self.failures -= 1
            raise Unavailable("kafka down")
        await super().send(letter)


class BrokenRelease(FakeSeatMap):
    """Its release script always fails."""

    async def release(self, tag, booking_ids, generation=-1):
        raise RuntimeError("script error")


async def careful(app, records, stop=None) -> bool:
    return await failures.careful(app, decode(records), NO_BACKOFF, stop or asyncio.Event())


def test_a_batch_is_decoded_once_into_commands_and_poison():
    good, other = created(), created()
    records = [record(encode(good), 0), record(b"{not json", 1), record(encode(other), 2)]

    batch = decode(records)

    assert batch.records == records
    assert batch.commands == [good, other]
    assert [r.offset for r, _ in batch.decoded] == [0, 2]
    assert [(r.offset, why.startswith("undecodable")) for r, why in batch.poison] == [(1, True)]


async def test_poison_goes_to_the_dlq_and_the_rest_is_settled():
    ledger, letters = FakeBookingLedger(), RecordingDeadLetters()
    good = created()
    ledger.add(good)
    app = build(FakeSeatMap(), ledger, RecordingPublisher(), letters)

    done = await careful(app, [record(b"{not json", 0), record(encode(good), 1)])

    assert done
    assert [(x.source, x.value) for x in letters.letters] == [("t:0:0", b"{not json")]
    assert letters.letters[0].reason.startswith("undecodable")
    assert ledger.bookings[good.booking_id].status == PENDING


async def test_a_message_failing_alone_is_dead_lettered_and_its_booking_failed():
    good, bad = created(quantity=1), created(quantity=2)
    seat_map, letters = FakeSeatMap(), RecordingDeadLetters()
    ledger = FakeBookingLedger(broken=[bad.booking_id])
    ledger.add(good)
    ledger.add(bad)
    app = build(seat_map, ledger, RecordingPublisher(), letters)

    assert await careful(app, [record(encode(good), 0), record(encode(bad), 1)])

    assert ledger.bookings[good.booking_id].status == PENDING
    assert ledger.bookings[bad.booking_id].status == FAILED
    assert ledger.bookings[bad.booking_id].failure_reason == NOT_PROCESSED  # not the error
    assert [(x.source, x.reason) for x in letters.letters] == [("t:0:1", "RuntimeError: a bug")]
    assert seat_map.held(TAG) == [0]  # only the good booking keeps its seat


async def test_seats_postgres_refuses_heal_the_seat_map_instead_of_failing_the_booking():
    squatter, good, bad = created(), created(positions=["1-1"]), created(positions=["1-3"])
    seat_map, ledger, letters = FakeSeatMap(), FakeBookingLedger(), RecordingDeadLetters()
    ledger.hold(squatter, "1-3")  # PostgreSQL holds 1-3; the seat map does not know
    ledger.add(good)
    ledger.add(bad)
    app = build(seat_map, ledger, RecordingPublisher(), letters)

    assert await careful(app, [record(encode(good), 0), record(encode(bad), 1)])

    assert ledger.bookings[good.booking_id].status == PENDING
    state = ledger.bookings[bad.booking_id]
    assert (state.status, state.failure_reason) == (FAILED, SEATS_TAKEN)  # taken, truly
    assert letters.letters == []
    assert seat_map.held(TAG) == [0, 2]  # rebuilt: the squatter's seat is in the map now


async def test_a_failing_cancel_is_dead_lettered_without_a_reject():
    command = created(quantity=1)
    ledger, letters = FakeBookingLedger(), RecordingDeadLetters()
    ledger.add(command)
    app = build(BrokenRelease(), ledger, RecordingPublisher(), letters)

    assert await careful(app, [record(encode(cancelled(command)), 3)])

    assert [(x.source, x.reason) for x in letters.letters] == [
        ("t:0:3", "RuntimeError: script error")
    ]
    assert ledger.transactions == 0
    assert ledger.bookings[command.booking_id].status == BookingStatus.PROCESSING


async def test_an_unreachable_dependency_retries_the_same_batch():
    seat_map, ledger, letters = FlakySeatMap(2), FakeBookingLedger(), RecordingDeadLetters()
    command = created()
    ledger.add(command)
    app = build(seat_map, ledger, RecordingPublisher(), letters)

    assert await careful(app, [record(encode(command))])

    assert ledger.bookings[command.booking_id].status == PENDING
    assert letters.letters == []


async def test_poison_is_sent_once_even_when_the_dlq_is_down_for_a_while():
    ledger, letters = FakeBookingLedger(), FlakyDeadLetters(2)
    good = created()
    ledger.add(good)
    app = build(FakeSeatMap(), ledger, RecordingPublisher(), letters)

    assert await careful(app, [record(b"{", 0), record(b"[", 1), record(encode(good), 2)])

    assert [x.source for x in letters.letters] == ["t:0:0", "t:0:1"]
    assert ledger.bookings[good.booking_id].status == PENDING


async def test_a_stop_while_unreachable_gives_up_without_settling():
    ledger, stop = FakeBookingLedger(), asyncio.Event()
    command = created()
    ledger.add(command)
    app = build(FlakySeatMap(failures=10**6), ledger, RecordingPublisher(), RecordingDeadLetters())
    stop.set()

    assert not await careful(app, [record(encode(command))], stop)
    assert ledger.bookings[command.booking_id].status == BookingStatus.PROCESSING
