"""The consumer's pipeline: at most two batches in flight (spec/architecture.md, guarantees 3
and 5).

While batch N is recorded in the background (PostgreSQL, publish, commit), batch N+1 is
allocated at the seat map; N+1 is recorded once N is done. A batch's offsets are committed
(explicitly) only after it is recorded, and batches are recorded in order, so committed
offsets never pass an unsettled command. Commands of one subsection still reach the seat map
in order (guarantee 4), and every step is idempotent, so a batch replayed on the careful path
after its successor was allocated changes nothing it should not. What happens when a step
fails is decided in `failures.py`.

A batch that found stale seat maps heals them only once the batch before it is recorded, so a
rebuild never drops seats allocated but not yet recorded (guarantee 7). A batch allocated while
its predecessor went the careful path (which may rebuild maps under it) is allocated again,
healing, before it is recorded.
"""

import asyncio
import time
from collections.abc import Sequence
from typing import Protocol

from aiokafka import ConsumerRecord, TopicPartition

from src.service.reservation.application.batches import Allocated, BatchReport
from src.service.reservation.bootstrap import Reservation
from src.service.reservation.entrypoints import failures
from src.service.reservation.entrypoints.batch import Batch, decode, log_settled
from src.service.reservation.settings import ConsumerSettings


class Committer(Protocol):
    """Where the pipeline commits offsets: the Kafka consumer."""

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        """Commit the next offset to read of each partition."""
        ...

    def assignment(self) -> set[TopicPartition]:
        """The partitions this member owns now."""
        ...


class Pipeline:
    """Allocate each polled batch, then record it while the next one is allocated."""

    def __init__(
        self, consumer: Committer, app: Reservation, cfg: ConsumerSettings, stop: asyncio.Event
    ) -> None:
        self._consumer, self._app, self._cfg, self._stop = consumer, app, cfg, stop
        self._recording: tuple[asyncio.Task[BatchReport], Batch] | None = None

    async def push(self, records: Sequence[ConsumerRecord]) -> None:
        """Take a polled batch: allocate it now and record it in the background, once the
        batch before it is recorded. A batch with poison, or whose allocation failed, is
        settled on the careful path instead."""
        batch = decode(records)
        allocated = None
        if not batch.poison:
            step = self._app.allocate(batch.commands)
            allocated = await failures.fast(step, "allocate", len(records))
        carefully = await self.drain()
        if allocated is not None and (carefully or allocated.stale):
            healing = self._app.heal(batch.commands, None if carefully else allocated)
            allocated = await failures.fast(healing, "heal", len(records))
        if allocated is None:
            await self._careful(batch)
        else:
            self._recording = (asyncio.create_task(self._record(allocated, batch)), batch)

    async def drain(self) -> bool:
        """Wait for the batch being recorded; settle it on the careful path if that failed.
        True when it went the careful path."""
        if self._recording is None:
            return False
        (task, batch), self._recording = self._recording, None
        if await failures.fast(task, "record", len(batch.records)) is not None:
            return False
        await self._careful(batch)
        return True

    async def _record(self, allocated: Allocated, batch: Batch) -> BatchReport:
        started = time.perf_counter()
        report = await self._app.record(allocated)
        log_settled(report, started)
        await self._commit(batch.records)
        return report

    async def _careful(self, batch: Batch) -> None:
        def owned() -> bool:  # a batch whose partitions were all revoked is the new owner's
            assigned = self._consumer.assignment()
            return any(TopicPartition(r.topic, r.partition) in assigned for r in batch.records)

        if await failures.careful(self._app, batch, self._cfg, self._stop, owned):
            await self._commit(batch.records)

    async def _commit(self, records: Sequence[ConsumerRecord]) -> None:
        await self._consumer.commit(offsets(records))


def offsets(records: Sequence[ConsumerRecord]) -> dict[TopicPartition, int]:
    """The offsets to commit once `records` are settled: per partition, the next to read."""
    committed: dict[TopicPartition, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        committed[tp] = max(committed.get(tp, 0), r.offset + 1)
    return committed
