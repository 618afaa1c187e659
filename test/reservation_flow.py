"""Drive the consumer's pipeline from tests: commands as Kafka records, a committer that
records commits, and the pipeline itself (spec/architecture.md, guarantees 3, 5 and 7)."""

import asyncio
from collections.abc import Sequence

from aiokafka import ConsumerRecord, TopicPartition

from src.service.contract import encode
from src.service.reservation.application.batches import Command
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
