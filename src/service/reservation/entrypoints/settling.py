"""The sequential way to settle one batch: retries while dependencies are down, isolates a
failing message, parks what can never be processed in the dead-letter queue.

Error policy, the one table of the consumer: `RETRY` errors back off and retry the SAME batch;
any other error makes the batch fall back to one message at a time, and a message that still
fails goes to the dead-letter queue (and its booking is failed, its seats freed).
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from src.service.contract import BookingCreated, decode_command, decode_commands
from src.service.reservation.application.ports import DeadLetter, Unavailable
from src.service.reservation.application.reserve import BatchReport, Command
from src.service.reservation.bootstrap import Reservation
from src.service.reservation.settings import ConsumerSettings

log = logging.getLogger(__name__)

RETRY: tuple[type[Exception], ...] = (Unavailable, OSError, KafkaError)
Decoded = tuple[ConsumerRecord, Command]


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
    log_settled(report, started)


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


def log_settled(report: BatchReport, started: float) -> None:
    """The `batch_settled` log line."""
    log.info(
        "batch_settled size=%d allocated=%d failed=%d released=%d ms=%.1f",
        report.size, report.allocated, report.failed, report.released,
        (time.perf_counter() - started) * 1000,
    )
