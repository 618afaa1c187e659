"""The consumer's pipeline and poll loop with fakes: two batches in flight, offsets committed
only after a batch is recorded and in order, failed steps settled on the careful path."""

import asyncio

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaConnectionError

from src.service.contract import encode, subsection_tag
from src.service.lifecycle import BookingStatus
from src.service.reservation.application.ports import Unavailable
from src.service.reservation.bootstrap import build
from src.service.reservation.entrypoints.consumer import consume
from src.service.reservation.entrypoints.pipeline import Pipeline, offsets
from src.service.reservation.settings import ConsumerSettings
from test.reservation_fakes import (
    FakeBookingLedger,
    FakeSeatMap,
    created,
)
from test.reservation_flow import RecordingDeadLetters, RecordingPublisher

TAG = subsection_tag(1, "A", 1)
TP = TopicPartition("t", 0)
NO_BACKOFF = ConsumerSettings(backoff_min_s=0, backoff_max_s=0)
PENDING = BookingStatus.PENDING_PAYMENT


def record(value: bytes, offset: int, partition: int = 0) -> ConsumerRecord:
    return ConsumerRecord("t", partition, offset, 0, 0, b"k", value, None, 1, len(value), ())


class FakeConsumer:
    """Commits recorded in order; `getmany` answers from `polls` (an exception is raised), then
    sets `stop` and answers nothing."""

    def __init__(self, polls=(), stop: asyncio.Event | None = None) -> None:
        self.commits: list[dict[TopicPartition, int]] = []
        self.polls, self.stop = list(polls), stop

    async def commit(self, offsets):
        self.commits.append(dict(offsets))

    def assignment(self):
        return {TP}

    async def getmany(self, timeout_ms: int, max_records: int):
        if not self.polls:
            self.stop.set()
            return {}
        answer = self.polls.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return {TP: answer}


class GatedLedger(FakeBookingLedger):
    """Each settle waits for `gate`; `calls` counts settles begun."""

    def __init__(self) -> None:
        super().__init__()
        self.gate, self.calls = asyncio.Event(), 0

    async def settle(self, settlements, steps=()):
        self.calls += 1
        await self.gate.wait()
        return await super().settle(settlements, steps)


class FailingOnceLedger(FakeBookingLedger):
    """The first settle fails with an error that is not transient."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def settle(self, settlements, steps=()):
        if not self.failed:
            self.failed = True
            raise RuntimeError("bug")
        return await super().settle(settlements, steps)


class FlakySeatMap(FakeSeatMap):
    """Unreachable for the first allocate call."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True

    async def allocate(self, where, requests, generation=-1):
        if self.down:
            self.down = False
            raise Unavailable("kvrocks down")
        return await super().allocate(where, requests, generation)


def pipeline(seat_map, ledger, consumer, letters=None):
    app = build(seat_map, ledger, RecordingPublisher(), letters or RecordingDeadLetters())
    return Pipeline(consumer, app, NO_BACKOFF, asyncio.Event())


def booked(ledger, count: int) -> list:
    commands = [created(quantity=1) for _ in range(count)]
    for command in commands:
        ledger.add(command)
    return commands


async def test_the_next_batch_is_allocated_while_one_is_recorded_and_commits_keep_order():
    seat_map, ledger, consumer = FakeSeatMap(), GatedLedger(), FakeConsumer()
    first, second, third = booked(ledger, 3)
    flow = pipeline(seat_map, ledger, consumer)

    await flow.push([record(encode(first), 0), record(encode(second), 1)])
    pushing = asyncio.create_task(flow.push([record(encode(third), 2)]))
    for _ in range(10):
        await asyncio.sleep(0)

    assert seat_map.held(TAG) == [0, 1, 2]  # the second batch is allocated already
    assert (ledger.calls, ledger.transactions, consumer.commits) == (1, 0, [])
    ledger.gate.set()
    await pushing
    assert consumer.commits[0] == {TP: 2}  # the first batch, once it is recorded
    await flow.drain()
    assert consumer.commits == [{TP: 2}, {TP: 3}]
    assert ledger.transactions == 2
    assert {ledger.bookings[c.booking_id].status for c in (first, second, third)} == {PENDING}


async def test_a_batch_whose_record_failed_is_settled_on_the_careful_path_then_committed():
    seat_map, ledger, consumer = FakeSeatMap(), FailingOnceLedger(), FakeConsumer()
    (command,) = booked(ledger, 1)
    flow = pipeline(seat_map, ledger, consumer)

    await flow.push([record(encode(command), 0)])
    await flow.drain()

    assert ledger.bookings[command.booking_id].status == PENDING
    assert seat_map.held(TAG) == [0]  # the replay got the recorded allocation back
    assert consumer.commits == [{TP: 1}]


async def test_a_batch_whose_allocation_failed_is_retried_on_the_careful_path():
    seat_map, ledger, consumer = FlakySeatMap(), FakeBookingLedger(), FakeConsumer()
    (command,) = booked(ledger, 1)
    flow = pipeline(seat_map, ledger, consumer)

    await flow.push([record(encode(command), 0)])

    assert ledger.bookings[command.booking_id].status == PENDING
    assert consumer.commits == [{TP: 1}]  # settled and committed before push returned


async def test_a_batch_with_poison_skips_the_fast_path():
    seat_map, ledger, consumer, letters = (FakeSeatMap(), FakeBookingLedger(), FakeConsumer(),
                                           RecordingDeadLetters())
    (command,) = booked(ledger, 1)
    flow = pipeline(seat_map, ledger, consumer, letters)

    await flow.push([record(b"{", 0), record(encode(command), 1)])

    assert [x.source for x in letters.letters] == ["t:0:0"]
    assert ledger.bookings[command.booking_id].status == PENDING
    assert consumer.commits == [{TP: 2}]


async def test_the_poll_loop_backs_off_a_transient_error_and_drains_on_stop():
    ledger, stop = FakeBookingLedger(), asyncio.Event()
    first, second = booked(ledger, 2)
    polls = [KafkaConnectionError(), [record(encode(first), 0)], [record(encode(second), 1)]]
    consumer = FakeConsumer(polls, stop)
    app = build(FakeSeatMap(), ledger, RecordingPublisher(), RecordingDeadLetters())

    await asyncio.wait_for(consume(consumer, app, NO_BACKOFF, stop), 5)

    assert consumer.commits == [{TP: 1}, {TP: 2}]
    assert {ledger.bookings[c.booking_id].status for c in (first, second)} == {PENDING}


def test_offsets_are_the_next_to_read_of_each_partition():
    records = [record(b"", 5), record(b"", 3), record(b"", 9, partition=1)]

    assert offsets(records) == {TP: 6, TopicPartition("t", 1): 10}
