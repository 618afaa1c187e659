"""Entrypoint: one member of the reservation consumer group (spec/architecture.md,
"Components").

    python -m src.service.reservation.entrypoints.consumer

The process: settings, logging, signals, the Kafka clients and the poll loop. Polled batches
go through `pipeline.py` (two batches in flight, offsets committed only after a batch is
recorded: guarantee 3); every failure is handled as `failures.py` says; the seat maps are
audited as `audit.py` says (guarantee 7).
"""

import asyncio
import logging
import signal

import uvloop
from aiokafka import AIOKafkaConsumer

from src.platform.kafka import create_consumer, ensure_topics, stop_quietly
from src.platform.logging import configure
from src.platform.runtime import freeze_startup_heap
from src.service.reservation.bootstrap import Reservation, open_reservation
from src.service.reservation.entrypoints import failures
from src.service.reservation.entrypoints.audit import Auditor
from src.service.reservation.entrypoints.pipeline import Pipeline
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
    """Poll and settle until `stop` is set, auditing the seat maps when due; a stop never
    interrupts a settled batch."""
    pipeline, audit = Pipeline(consumer, app, cfg, stop), Auditor(consumer, app, cfg)
    try:
        while not stop.is_set():
            async with failures.polling(stop, cfg):
                await _poll(consumer, pipeline, cfg)
                await audit(pipeline)
    finally:
        await pipeline.drain()


async def _poll(consumer: AIOKafkaConsumer, pipeline: Pipeline, cfg: ConsumerSettings) -> None:
    """One poll: hand the records to the pipeline, or, when there are none, finish the batch
    in flight (nothing to overlap it with)."""
    batches = await consumer.getmany(timeout_ms=cfg.poll_timeout_ms, max_records=cfg.batch_max)
    records = [r for part in batches.values() for r in part]
    if records:
        await pipeline.push(records)
    else:
        await pipeline.drain()


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
