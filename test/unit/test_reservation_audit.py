"""When the consumer audits, and which subsections it counts as its own (entrypoints/audit.py;
spec/architecture.md, guarantee 7)."""

import asyncio

from aiokafka import TopicPartition

from src.service.reservation.bootstrap import build
from src.service.reservation.entrypoints.audit import Auditor, owner
from src.service.reservation.settings import ConsumerSettings
from test.reservation_fakes import FakeBookingLedger, FakeSeatMap, created, settle
from test.reservation_flow import RecordingDeadLetters, RecordingPublisher

# Keys and their murmur2 hashes as Kafka's own partitioner test has them (Java ints).
MURMUR2 = {"21": -973932308, "foobar": -790332482, "abc": 479470107,
           "a-little-bit-long-string": -985981536}


class Member:
    def __init__(self, mine: set[int], partitions: int, topic: str = "cmd") -> None:
        self.mine, self.partitions, self.topic = mine, partitions, topic

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition(self.topic, p) for p in self.mine} | {TopicPartition("dlq", 0)}

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(range(self.partitions)) if topic == self.topic else None


def kafka_partition(key: str, partitions: int) -> int:
    """Kafka's default partitioner: positive murmur2 of the key, modulo the partitions."""
    return (MURMUR2[key] & 0x7FFFFFFF) % partitions


def test_a_tag_is_ours_when_kafka_would_put_its_commands_on_a_partition_we_own():
    for partitions in (3, 8):
        for mine in ({0}, {1, 2}):
            owns = owner(Member(mine, partitions), "cmd")
            assert owns is not None
            for key in MURMUR2:
                assert owns(key) is (kafka_partition(key, partitions) in mine), (key, mine)


def test_nothing_is_ours_without_an_assignment_or_metadata():
    assert owner(Member(set(), 8), "cmd") is None
    assert owner(Member({0}, 8), "other") is None


class Drain:
    def __init__(self) -> None:
        self.drained = 0

    async def drain(self) -> bool:
        self.drained += 1
        return False


async def test_the_audit_runs_when_due_after_draining_and_never_when_switched_off():
    seat_map, ledger = FakeSeatMap(), FakeBookingLedger()
    app = build(seat_map, ledger, RecordingPublisher(), RecordingDeadLetters())
    command = created(quantity=2)
    ledger.add(command)
    await settle(app, [command])
    seat_map.flush()
    member, pipeline = Member({0}, 1), Drain()

    await Auditor(member, app, ConsumerSettings(commands_topic="cmd", audit_interval_s=0))(pipeline)
    assert (pipeline.drained, seat_map.held("1:A:1")) == (0, [])
    due = Auditor(member, app, ConsumerSettings(commands_topic="cmd", audit_interval_s=0.01))
    await due(pipeline)  # not due yet
    assert pipeline.drained == 0
    await asyncio.sleep(0.02)
    await due(pipeline)

    assert (pipeline.drained, seat_map.held("1:A:1")) == (1, [0, 1])
