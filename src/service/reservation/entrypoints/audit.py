"""When the consumer audits its seat maps, and which are its own (spec/architecture.md,
guarantee 7).

Every `RESERVATION_AUDIT_INTERVAL_S` seconds, between polls, the consumer waits for the batch
in flight and runs `AuditSeatMaps` over the subsections of the partitions it owns now: a tag's
partition is the one Kafka's default partitioner (murmur2 of the key) gives it, as for the
commands themselves.
"""

import time
from collections.abc import Callable
from typing import Protocol

from aiokafka import TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from src.service.reservation.bootstrap import Reservation
from src.service.reservation.entrypoints import failures
from src.service.reservation.settings import ConsumerSettings


class Member(Protocol):
    """What the audit asks of the Kafka consumer."""

    def assignment(self) -> set[TopicPartition]:
        """The partitions this member owns now."""
        ...

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        """Every partition of `topic`, from the metadata."""
        ...


class Drainable(Protocol):
    """The pipeline, as far as the audit is concerned."""

    async def drain(self) -> bool:
        """Wait until no batch is in flight."""
        ...


def owner(member: Member, topic: str) -> Callable[[str], bool] | None:
    """Whether a subsection tag's commands land on a partition `member` owns; None while it
    owns none (or the topic's metadata is not known yet)."""
    mine = {tp.partition for tp in member.assignment() if tp.topic == topic}
    every = sorted(member.partitions_for_topic(topic) or ())
    if not mine or not every:
        return None
    partition = DefaultPartitioner()
    return lambda tag: partition(tag.encode(), every, every) in mine


class Auditor:
    """Runs the audit when it is due."""

    def __init__(self, member: Member, app: Reservation, cfg: ConsumerSettings) -> None:
        self._member, self._app, self._cfg = member, app, cfg
        self._due = time.monotonic() + cfg.audit_interval_s

    async def __call__(self, pipeline: Drainable) -> None:
        """Audit if the interval has passed since the last audit (never when it is 0)."""
        interval = self._cfg.audit_interval_s
        if interval <= 0 or time.monotonic() < self._due:
            return
        self._due = time.monotonic() + interval
        owns = owner(self._member, self._cfg.commands_topic)
        if owns is not None:
            await pipeline.drain()
            await failures.audit(self._app.audit(owns))
