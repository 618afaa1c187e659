"""Drive the consumer's pipeline from tests: commands as Kafka records, a committer that
records commits, the pipeline itself, and recorders of what it publishes and dead-letters
(spec/architecture.md, guarantees 3, 5 and 7)."""

import asyncio
from collections.abc import Sequence
from uuid import UUID

from aiokafka import ConsumerRecord, TopicPartition

from src.service.contract import SubsectionState, encode
from src.service.lifecycle import BookingStatus
from src.service.reservation.application.batches import Command
from src.service.reservation.application.ports import BookingState, DeadLetter
from src.service.reservation.bootstrap import Reservation
from src.service.reservation.entrypoints.pipeline import Pipeline
from src.service.reservation.settings import ConsumerSettings

TP = TopicPartition("t", 0)
NO_BACKOFF = ConsumerSettings(backoff_min_s=0, backoff_max_s=0)


class Committer:
    """Keeps every commit; owns partition 0 of topic `t` (or nothing once `revoked`)."""

    def __init__(self) -> None:
        self.commits: list[dict[TopicPartition, int]] = []
        self.revoked = False

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))

    def assignment(self) -> set[TopicPartition]:
        return set() if self.revoked else {TP}

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return {0}


class Feed:
    """Numbers records in order, as one partition would."""

    def __init__(self) -> None:
        self.offset = 0

    def records(self, commands: Sequence[Command]) -> list[ConsumerRecord]:
        out = []
        for command in commands:
            value = encode(command)
            out.append(ConsumerRecord("t", 0, self.offset, 0, 0, b"k", value, None, 1,
                                      len(value), ()))
            self.offset += 1
        return out


def pipeline(app: Reservation, committer: Committer | None = None) -> Pipeline:
    """A pipeline over `app` that never backs off."""
    return Pipeline(committer or Committer(), app, NO_BACKOFF, asyncio.Event())


class RecordingPublisher:
    """Keeps everything it was asked to publish."""

    def __init__(self) -> None:
        self.bookings: list[BookingState] = []
        self.subsections: list[SubsectionState] = []

    async def publish(
        self, bookings: Sequence[BookingState], subsections: Sequence[SubsectionState]
    ) -> None:
        self.bookings.extend(bookings)
        self.subsections.extend(subsections)

    def statuses(self) -> list[tuple[UUID, BookingStatus]]:
        """(booking, status) of every booking update, in order."""
        return [(u.booking_id, u.status) for u in self.bookings]


class RecordingDeadLetters:
    """Keeps every dead letter."""

    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    async def send(self, letter: DeadLetter) -> None:
        self.letters.append(letter)
