"""The consumer's error policy, all of it: what happens when any part of settling fails.

| what fails                                       | what happens                               |
|--------------------------------------------------|--------------------------------------------|
| polling Kafka, transiently                       | back off `backoff_min_s`, poll again       |
| a fast-path step (allocate, heal; record and     | the careful path, for the whole batch      |
| commit), with any error                          |                                            |
| the seat map disagrees with PostgreSQL (a stale  | forget the generations, heal (rebuild) and |
| generation, `SeatConflict`, `StaleSeatMap`)      | settle again; still wrong after a few      |
|                                                  | tries: transient. Never a failed booking   |
| the careful path, transiently                    | back off (doubling up to `backoff_max_s`)  |
|                                                  | and retry the same batch until it settles  |
|                                                  | or the consumer stops (nothing committed)  |
| the whole batch at once, with any other error    | one message at a time                      |
| one message on its own, with any other error     | dead-letter topic (the error as its        |
|                                                  | `reason` header), and its booking is       |
|                                                  | rejected: seats freed, `refuse` with       |
|                                                  | `Booking could not be processed`           |
| an undecodable message                           | dead-letter topic (the rest of its batch   |
|                                                  | is then settled on the careful path)       |
| rejecting a dead-lettered booking, non-transient | logged; the booking stays `processing`     |
|                                                  | for the outbox relay                       |
| the careful path, once the batch's partitions    | give up on the batch (commit nothing): the |
| are all revoked                                  | new owner settles it                       |
| the seat-map audit, with any error               | logged; the next audit tries again         |

Transient (`TRANSIENT`) means a dependency is unreachable for now: outages delay bookings
(spec/architecture.md, guarantee 8). Settling is idempotent (guarantee 3), so replaying a batch
on the careful path, or retrying it, never allocates or records twice. Every broad `except` of
the consumer is in this module.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError

from src.service.contract import BookingCreated
from src.service.reservation.application.batches import BatchReport, Command
from src.service.reservation.application.ports import (
    DeadLetter,
    SeatConflict,
    StaleSeatMap,
    SubsectionId,
    Unavailable,
)
from src.service.reservation.bootstrap import Reservation
from src.service.reservation.entrypoints.batch import Batch, log_settled, source
from src.service.reservation.settings import ConsumerSettings

log = logging.getLogger(__name__)

TRANSIENT: tuple[type[Exception], ...] = (Unavailable, OSError, KafkaError)
# The seat map was wrong (StaleSeatMap is transient too, when it outlasts the tries).
CACHE_WRONG: tuple[type[Exception], ...] = (SeatConflict, StaleSeatMap)
CACHE_TRIES = 3
_REASON_MAX = 500
T = TypeVar("T")


@contextlib.asynccontextmanager
async def polling(stop: asyncio.Event, cfg: ConsumerSettings) -> AsyncIterator[None]:
    """Around one poll and what it hands on: a transient error backs off, then the loop goes on
    polling."""
    try:
        yield
    except TRANSIENT as e:
        log.warning("kafka_unavailable error=%r", e)
        await pause(stop, cfg.backoff_min_s)


async def fast(step: Awaitable[T], stage: str, size: int) -> T | None:
    """Run one fast-path step of a batch; None when it failed in any way, and the caller then
    settles the batch on the careful path."""
    try:
        return await step
    except Exception as e:  # noqa: BLE001 - the careful path settles the batch instead
        log.warning("batch_%s_failed size=%d error=%r", stage, size, e)
        return None


async def careful(
    app: Reservation, batch: Batch, cfg: ConsumerSettings, stop: asyncio.Event,
    owned: Callable[[], bool] = lambda: True,
) -> bool:
    """Settle a batch on the careful path: dead-letter its poison, then the whole batch at once,
    else one message at a time; retry it all with backoff while a dependency is down.

    Returns False when asked to stop, or when the batch is no longer `owned`, before it could be
    settled (commit nothing).
    """
    poison, delay = list(batch.poison), cfg.backoff_min_s
    while True:
        try:
            while poison:
                record, reason = poison[0]
                await app.dead_letters.send(letter(record, reason))
                poison.pop(0)
            await _settle_whole(app, batch.decoded)
            return True
        except TRANSIENT as e:
            log.warning("batch_retry size=%d delay_s=%.1f error=%r", len(batch.records), delay, e)
        if stop.is_set() or not owned():
            return False
        await pause(stop, delay)
        delay = min(delay * 2, cfg.backoff_max_s)


async def _settle(app: Reservation, commands: Sequence[Command]) -> BatchReport:
    """Allocate, healing, and record, from generations read afresh. PostgreSQL refusing seats
    the map gave (`SeatConflict`) or a generation moved under the batch (`StaleSeatMap`) means
    the map was wrong: settle again (the attempt's own calls put the map ahead of PostgreSQL,
    so the next one rebuilds it). Bookings never fail because of the cache."""
    for _ in range(CACHE_TRIES):
        allocated = await app.heal(commands, await app.allocate(commands, refresh=True))
        try:
            return await app.record(allocated)
        except CACHE_WRONG as e:
            log.warning("seat_map_disagrees size=%d error=%r", len(commands), e)
    raise StaleSeatMap(f"the seat map disagreed with PostgreSQL {CACHE_TRIES} times")


async def _settle_whole(
    app: Reservation, decoded: Sequence[tuple[ConsumerRecord, Command]]
) -> None:
    """The whole batch at once; on an error that is not transient, one message at a time."""
    if not decoded:
        return
    started = time.perf_counter()
    try:
        report = await _settle(app, [command for _, command in decoded])
    except TRANSIENT:
        raise
    except Exception as e:  # noqa: BLE001 - isolate the message that fails
        log.warning("batch_failed size=%d error=%r fallback=one_by_one", len(decoded), e)
        for record, command in decoded:
            await _settle_alone(app, record, command)
        return
    log_settled(report, started)


async def _settle_alone(app: Reservation, record: ConsumerRecord, command: Command) -> None:
    """One message; if it still fails, dead-letter it and reject its booking."""
    try:
        await _settle(app, [command])
    except TRANSIENT:
        raise
    except Exception as e:  # noqa: BLE001 - the message goes to the dead-letter topic
        reason = f"{type(e).__name__}: {e}"[:_REASON_MAX]
        log.exception("message_failed source=%s booking=%s", source(record), command.booking_id)
        await _dead_letter(app, record, command, reason)


async def _dead_letter(
    app: Reservation, record: ConsumerRecord, command: Command, reason: str
) -> None:
    """Park the message; a BookingCreated's booking is refused and its seats freed."""
    await app.dead_letters.send(letter(record, reason))
    if not isinstance(command, BookingCreated):
        return
    try:
        await app.reject(command)
    except TRANSIENT:
        raise
    except Exception:  # noqa: BLE001 - already dead-lettered; the relay sees it processing
        log.exception("reject_failed booking=%s", command.booking_id)


async def audit(step: Awaitable[list[SubsectionId]]) -> None:
    """Run one seat-map audit; an error only waits for the next one."""
    try:
        rebuilt = await step
    except Exception as e:  # noqa: BLE001 - the audit is a safety net; the next one retries
        log.warning("seat_map_audit_failed error=%r", e)
        return
    if rebuilt:
        log.warning("seat_maps_healed by=audit subsections=%d", len(rebuilt))


def letter(record: ConsumerRecord, reason: str) -> DeadLetter:
    """The dead letter of a record."""
    return DeadLetter(key=record.key, value=record.value, reason=reason, source=source(record))


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, waking early when `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
