"""Composition root: settings → clients → adapters → use cases (spec/architecture.md,
"Dependency rule").

Tests pass fakes to `build`; processes open real clients with `open_reservation`, which closes
them in reverse order.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from redis.asyncio import Redis

from src.platform.db import create_pool
from src.platform.kafka import create_producer, stop_quietly
from src.platform.kvrocks import create_client
from src.service.reservation.adapters.kafka import KafkaDeadLetters
from src.service.reservation.adapters.kvrocks import RedisSeatMap, RedisStatusPublisher
from src.service.reservation.adapters.log import LogDeadLetters
from src.service.reservation.adapters.postgres import PostgresBookingLedger
from src.service.reservation.application.allocate_batch import AllocateBatch
from src.service.reservation.application.audit_seat_maps import AuditSeatMaps
from src.service.reservation.application.generations import Generations
from src.service.reservation.application.heal_batch import HealBatch
from src.service.reservation.application.ports import (
    BookingLedger,
    DeadLetters,
    SeatMap,
    StatusPublisher,
)
from src.service.reservation.application.rebuild_seat_maps import RebuildSeatMaps
from src.service.reservation.application.record_batch import RecordBatch
from src.service.reservation.application.reject_booking import RejectBooking
from src.service.reservation.settings import Settings


@dataclass(frozen=True)
class Reservation:
    """The consumer's use cases, wired, plus the dead-letter port it uses; they share one
    `Generations`, the consumer's expectations of the seat maps.

    A batch is settled by `record(await heal(commands, await allocate(commands)))`; the
    consumer overlaps the two steps of consecutive batches (spec/architecture.md, guarantees 5
    and 7).
    """

    allocate: AllocateBatch
    heal: HealBatch
    record: RecordBatch
    reject: RejectBooking
    audit: AuditSeatMaps
    dead_letters: DeadLetters


def build(
    seat_map: SeatMap, ledger: BookingLedger, publisher: StatusPublisher, dead_letters: DeadLetters
) -> Reservation:
    """Wire use cases to the given adapters (real or fake)."""
    generations = Generations()
    allocate = AllocateBatch(seat_map, ledger, generations)
    rebuild = RebuildSeatMaps(seat_map, ledger)
    return Reservation(
        allocate=allocate,
        heal=HealBatch(allocate, rebuild, ledger, generations),
        record=RecordBatch(seat_map, ledger, publisher, generations),
        reject=RejectBooking(seat_map, ledger, publisher),
        audit=AuditSeatMaps(seat_map, ledger, rebuild, generations),
        dead_letters=dead_letters,
    )


@asynccontextmanager
async def _stores(settings: Settings) -> AsyncIterator[tuple[asyncpg.Pool, Redis]]:
    pool = await create_pool(settings.database)
    redis = create_client(settings.kvrocks)
    try:
        yield pool, redis
    finally:
        await redis.aclose()
        await pool.close()


@asynccontextmanager
async def _dead_letters(settings: Settings) -> AsyncIterator[DeadLetters]:
    if not settings.consumer.dlq_enabled:
        yield LogDeadLetters()
        return
    producer = create_producer(settings.kafka)
    try:
        await producer.start()
        topic, timeout_s = settings.consumer.dead_letter_topic, settings.kafka.send_timeout_s
        yield KafkaDeadLetters(producer, topic, timeout_s)
    finally:
        await stop_quietly(producer, settings.kafka.stop_timeout_s)


@asynccontextmanager
async def open_reservation(settings: Settings) -> AsyncIterator[Reservation]:
    """Open PostgreSQL, Kvrocks and the DLQ producer; close them in reverse order on exit."""
    async with _stores(settings) as (pool, redis), _dead_letters(settings) as dead_letters:
        yield build(
            RedisSeatMap(redis), PostgresBookingLedger(pool), RedisStatusPublisher(redis),
            dead_letters,
        )


@asynccontextmanager
async def open_rebuild(settings: Settings) -> AsyncIterator[RebuildSeatMaps]:
    """Open PostgreSQL and Kvrocks only: rebuilding needs no Kafka."""
    async with _stores(settings) as (pool, redis):
        yield RebuildSeatMaps(RedisSeatMap(redis), PostgresBookingLedger(pool))
