"""Entrypoint: one member of the reservation consumer group.

    python -m src.service.reservation.entrypoints.consumer

Takes commands in batches and commits offsets only after a batch is settled (at-least-once;
settling is idempotent). Batches are pipelined: the seat-map step of one batch runs while the
previous batch is being written to PostgreSQL and published. Whenever anything goes wrong the
batch concerned is replayed on the sequential path of `settling.py` (retries, DLQ).
"""

import asyncio
import logging
import signal
import time
from collections.abc import Sequence

import uvloop
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from src.platform.kafka import create_consumer, ensure_topics, stop_quietly
from src.platform.logging import configure
from src.platform.runtime import freeze_startup_heap
from src.service.reservation.application.reserve import Allocated
from src.service.reservation.bootstrap import Reservation, open_reservation
from src.service.reservation.entrypoints.settling import (
    RETRY,
    decode,
    log_settled,
    pause,
    settle_until_done,
)
from src.service.reservation.settings import ConsumerSettings, Settings, load_settings

log = logging.getLogger(__name__)


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run one consumer-group member until `stop` is set, then leave the group cleanly."""
    cfg, kafka = settings.consumer, settings.kafka
    topics = {cfg.commands_topic: kafka.partitions, cfg.dead_letter_topic: kafka.partitions}
    await ensure_topics(kafka, topics)
    async with open_reservation(settings) as app:
        consumer = create_consumer(kafka, cfg.commands_topic, cfg.group_id, cfg.batch_max)
        await consumer.start()
        freeze_startup_heap()
        try:
            await consume(consumer, app, cfg, stop)
        finally:
            await stop_quietly(consumer, kafka.stop_timeout_s)


async def consume(
    consumer: AIOKafkaConsumer, app: Reservation, cfg: ConsumerSettings, stop: asyncio.Event
) -> None:
    """Poll and settle until `stop` is set; a stop never interrupts a settled batch."""
    pipeline = Pipeline(consumer, app, cfg, stop)
    try:
        while not stop.is_set():
            try:
                batches = await consumer.getmany(
                    timeout_ms=cfg.poll_timeout_ms, max_records=cfg.batch_max
                )
                records = [r for part in batches.values() for r in part]
                if records:
                    await pipeline.push(records)
                else:  # nothing to overlap with: finish (or replay) the batch in flight now
                    await pipeline.drain()
            except RETRY as e:
                log.warning("kafka_unavailable error=%r", e)
                await pause(stop, cfg.backoff_min_s)
    finally:
        await pipeline.drain()


class Pipeline:
    """At most two batches in flight: one at the seat map, the previous one being recorded.

    Records of a batch are committed (explicit offsets) only after it is recorded, and batches
    are recorded in order, so committed offsets never pass an unsettled command.
    """

    def __init__(
        self, consumer: AIOKafkaConsumer, app: Reservation, cfg: ConsumerSettings,
        stop: asyncio.Event,
    ) -> None:
        self._consumer, self._app, self._cfg, self._stop = consumer, app, cfg, stop
        self._recording: tuple[asyncio.Task[None], Sequence[ConsumerRecord]] | None = None

    async def push(self, records: Sequence[ConsumerRecord]) -> None:
        """Take a polled batch: allocate it now, record it in the background."""
        decoded, poison = decode(records)
        allocated = None
        if not poison:
            try:
                allocated = await self._app.settle.allocate([c for _, c in decoded])
            except Exception as e:  # noqa: BLE001 - replayed on the sequential path
                log.warning("batch_allocate_failed size=%d error=%r", len(records), e)
        await self.drain()
        if allocated is None:
            await self._sequential(records)
        else:
            task = asyncio.create_task(self._record(allocated, records))
            self._recording = (task, records)

    async def drain(self) -> None:
        """Wait for the batch being recorded; replay it sequentially if that failed."""
        if self._recording is None:
            return
        (task, records), self._recording = self._recording, None
        try:
            await task
        except Exception as e:  # noqa: BLE001 - replayed on the sequential path
            log.warning("batch_record_failed size=%d error=%r", len(records), e)
            await self._sequential(records)

    async def _record(self, allocated: Allocated, records: Sequence[ConsumerRecord]) -> None:
        started = time.perf_counter()
        log_settled(await self._app.settle.record(allocated), started)
        await self._commit(records)

    async def _sequential(self, records: Sequence[ConsumerRecord]) -> None:
        if await settle_until_done(self._app, records, self._cfg, self._stop):
            await self._commit(records)

    async def _commit(self, records: Sequence[ConsumerRecord]) -> None:
        offsets: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            offsets[tp] = max(offsets.get(tp, 0), r.offset + 1)
        await self._consumer.commit(offsets)


async def _run(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("consumer_starting group=%s topic=%s", settings.consumer.group_id,
             settings.consumer.commands_topic)
    await serve(settings, stop)
    log.info("consumer_stopped")


def main() -> None:
    """Read settings, configure logging and run until SIGTERM/SIGINT."""
    settings = load_settings()
    configure(settings.consumer.log_level)
    uvloop.run(_run(settings))


if __name__ == "__main__":
    main()
