"""Entrypoint: one member of the reservation consumer group.

    python -m src.service.reservation.entrypoints.consumer

Takes commands in batches, settles each batch, and commits offsets only afterwards
(at-least-once; the use case is idempotent). Error policy, the one table of this entrypoint:
`RETRY` errors back off and retry the SAME batch; any other error makes the batch fall back to
one message at a time, and a message that still fails goes to the dead-letter queue.
"""

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Sequence

import uvloop
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from src.platform.kafka import create_consumer, ensure_topics, stop_quietly
from src.platform.logging import configure
from src.service.contract import BookingCreated, decode_command, decode_commands
from src.service.reservation.application.ports import DeadLetter, Unavailable
from src.service.reservation.application.reserve import Command
from src.service.reservation.bootstrap import Reservation, open_reservation
from src.service.reservation.settings import ConsumerSettings, Settings, load_settings

log = logging.getLogger(__name__)

RETRY: tuple[type[Exception], ...] = (Unavailable, OSError, KafkaError)
Decoded = tuple[ConsumerRecord, Command]


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run one consumer-group member until `stop` is set, then leave the group cleanly."""
    cfg, kafka = settings.consumer, settings.kafka
    topics = {cfg.commands_topic: kafka.partitions, cfg.dead_letter_topic: kafka.partitions}
    await ensure_topics(kafka, topics)
    async with open_reservation(settings) as app:
        consumer = create_consumer(kafka, cfg.commands_topic, cfg.group_id, cfg.batch_max)
        await consumer.start()
        try:
            await consume(consumer, app, cfg, stop)
        finally:
            await stop_quietly(consumer, kafka.stop_timeout_s)


async def consume(
    consumer: AIOKafkaConsumer, app: Reservation, cfg: ConsumerSettings, stop: asyncio.Event
) -> None:
    """Poll, settle and commit until `stop` is set; a stop never interrupts a settled batch."""
    while not stop.is_set():
        try:
            batches = await consumer.getmany(
                timeout_ms=cfg.poll_timeout_ms, max_records=cfg.batch_max
            )
            records = [r for part in batches.values() for r in part]
            if records and await settle_until_done(app, records, cfg, stop):
                await consumer.commit()
        except RETRY as e:
            log.warning("kafka_unavailable error=%r", e)
            await pause(stop, cfg.backoff_min_s)


async def settle_until_done(
    app: Reservation, records: Sequence[ConsumerRecord], cfg: ConsumerSettings,
    stop: asyncio.Event,
) -> bool:
    """Settle a batch, retrying it with backoff while dependencies are down.

    Returns False when asked to stop before the batch could be settled (nothing committed).
    """
    decoded, poison = decode(records)
    delay = cfg.backoff_min_s
    while True:
        try:
            while poison:
                record, reason = poison[0]
                await app.dead_letters.send(letter(record, reason))
                poison.pop(0)
            await settle_batch(app, decoded)
            return True
        except RETRY as e:
            log.warning("batch_retry size=%d delay_s=%.1f error=%r", len(records), delay, e)
        if stop.is_set():
            return False
        await pause(stop, delay)
        delay = min(delay * 2, cfg.backoff_max_s)


def decode(records: Sequence[ConsumerRecord]) -> tuple[list[Decoded], list[tuple]]:
    """Split records into decoded commands and (record, reason) of undecodable ones: the whole
    batch in one go, or message by message when it holds a malformed one."""
    try:
        commands = decode_commands([r.value or b"null" for r in records])
        return list(zip(records, commands, strict=True)), []
    except ValidationError:
        pass
    decoded, poison = [], []
    for record in records:
        try:
            decoded.append((record, decode_command(record.value or b"")))
        except ValidationError as e:
            log.error("message_undecodable source=%s errors=%d", source(record), e.error_count())
            poison.append((record, f"undecodable: {e.errors()[0]['msg']}"))
    return decoded, poison


async def settle_batch(app: Reservation, decoded: Sequence[Decoded]) -> None:
    """Settle the whole batch at once; on an error that is not transient, one by one."""
    if not decoded:
        return
    started = time.perf_counter()
    try:
        report = await app.settle([command for _, command in decoded])
    except RETRY:
        raise
    except Exception as e:  # noqa: BLE001 - outermost loop: isolate the message that fails
        log.warning("batch_failed size=%d error=%r fallback=one_by_one", len(decoded), e)
        for record, command in decoded:
            await settle_alone(app, record, command)
        return
    log.info(
        "batch_settled size=%d allocated=%d failed=%d released=%d ms=%.1f",
        report.size, report.allocated, report.failed, report.released,
        (time.perf_counter() - started) * 1000,
    )


async def settle_alone(app: Reservation, record: ConsumerRecord, command: Command) -> None:
    """Settle one message; if it still fails, dead-letter it and fail its booking."""
    try:
        await app.settle([command])
    except RETRY:
        raise
    except Exception as e:  # noqa: BLE001 - outermost loop: the message goes to the DLQ
        reason = f"{type(e).__name__}: {e}"[:500]
        log.exception("message_failed source=%s booking=%s", source(record), command.booking_id)
        await dead_letter(app, record, command, reason)


async def dead_letter(app: Reservation, record: ConsumerRecord, command: Command, reason: str):
    """Park the message in the DLQ; a BookingCreated's booking is failed and its seats freed."""
    await app.dead_letters.send(letter(record, reason))
    if not isinstance(command, BookingCreated):
        return
    try:
        await app.reject(command, reason)
    except RETRY:
        raise
    except Exception:  # noqa: BLE001 - already dead-lettered; the sweeper sees it processing
        log.exception("reject_failed booking=%s", command.booking_id)


def source(record: ConsumerRecord) -> str:
    """`topic:partition:offset` of a record."""
    return f"{record.topic}:{record.partition}:{record.offset}"


def letter(record: ConsumerRecord, reason: str) -> DeadLetter:
    """The dead letter of a record."""
    return DeadLetter(key=record.key, value=record.value, reason=reason, source=source(record))


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, waking early when `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


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
