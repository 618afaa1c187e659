"""Composition root of the ticketing service: settings → clients → adapters → use cases."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import uuid6

from src.platform.db import create_pool
from src.platform.kafka import create_producer, ensure_topics, stop_quietly
from src.platform.kvrocks import create_client
from src.platform.settings import DatabaseSettings, KafkaSettings, KvrocksSettings
from src.service.contract import COMMANDS_TOPIC, DEAD_LETTER_TOPIC
from src.service.ticketing.adapters.kafka import KafkaCommandPublisher
from src.service.ticketing.adapters.kvrocks import (
    RedisSeatInventory,
    RedisStatusFeed,
    RedisStatusNotifier,
)
from src.service.ticketing.adapters.postgres import PostgresUnitOfWork
from src.service.ticketing.adapters.postgres_inbox import PostgresBookingInbox
from src.service.ticketing.adapters.security import Argon2PasswordHasher, JwtTokenCodec
from src.service.ticketing.application.bookings import Bookings
from src.service.ticketing.application.events import EventCatalog
from src.service.ticketing.application.outbox import OutboxRelay
from src.service.ticketing.application.ports import (
    BookingInbox,
    Clock,
    CommandPublisher,
    IdGenerator,
    PasswordHasher,
    SeatInventory,
    StatusFeed,
    StatusNotifier,
    TokenCodec,
    UnitOfWorkFactory,
)
from src.service.ticketing.application.users import Users
from src.service.ticketing.settings import TicketingSettings


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Uuid7Ids:
    """Time-ordered booking ids (UUIDv7)."""

    def new_id(self) -> UUID:
        return UUID(int=uuid6.uuid7().int)


@dataclass(frozen=True)
class Ticketing:
    """Everything the entrypoints need, built once per process."""

    settings: TicketingSettings
    users: Users
    catalog: EventCatalog
    bookings: Bookings
    outbox: OutboxRelay
    feed: StatusFeed
    tokens: TokenCodec


def build(
    settings: TicketingSettings, uow: UnitOfWorkFactory, inbox: BookingInbox,
    inventory: SeatInventory,
    publisher: CommandPublisher, notifier: StatusNotifier, feed: StatusFeed,
    hasher: PasswordHasher | None = None, tokens: TokenCodec | None = None,
    clock: Clock | None = None, ids: IdGenerator | None = None,
) -> Ticketing:
    """Wire use cases from adapters; tests pass fakes for any of them."""
    tokens = tokens or JwtTokenCodec(settings.jwt_secret, settings.token_ttl_s)
    catalog = EventCatalog(uow=uow, inventory=inventory)
    bookings = Bookings(
        uow=uow, inbox=inbox, catalog=catalog, inventory=inventory, publisher=publisher,
        notifier=notifier,        clock=clock or SystemClock(), ids=ids or Uuid7Ids(),
    )
    outbox = OutboxRelay(
        uow=uow, catalog=catalog, publisher=publisher, notifier=notifier,
        republish_after_s=settings.outbox_republish_after_s,
        max_attempts=settings.outbox_max_attempts,
    )
    users = Users(uow=uow, hasher=hasher or Argon2PasswordHasher(), tokens=tokens)
    return Ticketing(settings=settings, users=users, catalog=catalog, bookings=bookings,
                     outbox=outbox, feed=feed, tokens=tokens)


@asynccontextmanager
async def running(settings: TicketingSettings | None = None) -> AsyncIterator[Ticketing]:
    """Open PostgreSQL, Kvrocks and Kafka from the environment, yield the wired service, and
    close them in reverse order."""
    settings = settings or TicketingSettings()
    kafka = KafkaSettings()
    async with AsyncExitStack() as stack:
        pool = await create_pool(DatabaseSettings())
        stack.push_async_callback(pool.close)
        redis = create_client(KvrocksSettings())
        stack.push_async_callback(redis.aclose)
        await ensure_topics(kafka, {COMMANDS_TOPIC: kafka.partitions,
                                    DEAD_LETTER_TOPIC: kafka.partitions})
        producer = create_producer(kafka)
        await producer.start()
        stack.push_async_callback(stop_quietly, producer, kafka.stop_timeout_s)
        yield build(
            settings, uow=lambda: PostgresUnitOfWork(pool), inbox=PostgresBookingInbox(pool),
            inventory=RedisSeatInventory(redis),
            publisher=KafkaCommandPublisher(producer, kafka.send_timeout_s),
            notifier=RedisStatusNotifier(redis), feed=RedisStatusFeed(redis),
        )
