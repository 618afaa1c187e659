"""Ticketing adapters against the real PostgreSQL, redis-server and Kafka."""

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer

from src.platform.kafka import create_producer, ensure_topics, stop_quietly
from src.service.contract import (
    COMMANDS_TOPIC,
    BookingCreated,
    avail_key,
    decode_command,
    seats_key,
)
from src.service.ticketing.adapters.kafka import KafkaCommandPublisher
from src.service.ticketing.adapters.kvrocks import RedisSeatInventory, RedisStatusFeed
from src.service.ticketing.adapters.postgres import PostgresUnitOfWork
from src.service.ticketing.adapters.postgres_inbox import PostgresBookingInbox
from src.service.ticketing.application.bookings import BookingRequest
from src.service.ticketing.application.ports import PublishFailed
from src.service.ticketing.bootstrap import build
from src.service.ticketing.domain.booking import BookingStatus, SeatSelectionMode
from src.service.ticketing.domain.user import Principal, Role
from src.service.ticketing.settings import TicketingSettings
from test.integration.factories import insert_user
from test.ticketing_fakes import FakeFeed, PlainHasher, RecordingNotifier, RecordingPublisher

LAYOUT = {"rows": 10, "cols": 10, "sections": [{"name": "A", "price": 500, "subsections": 2},
                                               {"name": "B", "price": 300, "subsections": 1}]}


class BrokenInventory(RedisSeatInventory):
    opened = None

    async def open_event(self, event):
        await super().open_event(event)
        self.opened = event
        raise ConnectionError("seat store went away")


def service(pg_pool, inventory, publisher=None, **settings):
    return build(
        TicketingSettings(**settings), uow=lambda: PostgresUnitOfWork(pg_pool),
        inbox=PostgresBookingInbox(pg_pool),
        inventory=inventory, publisher=publisher or RecordingPublisher(),
        notifier=RecordingNotifier(), feed=FakeFeed(), hasher=PlainHasher(),
    )


async def principals(pg_pool) -> tuple[Principal, Principal]:
    async with pg_pool.acquire() as conn:
        return (Principal(await insert_user(conn, "seller"), Role.SELLER),
                Principal(await insert_user(conn, "buyer"), Role.BUYER))


async def test_event_creation_copies_one_ticket_per_seat_and_opens_seats(pg_pool, redis):
    seller, _ = await principals(pg_pool)
    event = await service(pg_pool, RedisSeatInventory(redis)).catalog.create(
        seller, "Show", "", "Hall", LAYOUT)
    async with pg_pool.acquire() as conn:
        tickets = await conn.fetchval("SELECT count(*) FROM tickets WHERE event_id = $1", event.id)
    assert tickets == 300
    assert [(s.section, s.subsection, s.available) for s in event.stats] == [
        ("A", 1, 100), ("A", 2, 100), ("B", 1, 100)]
    assert int(await redis.get(f"avail:{{{event.id}:B:1}}")) == 100


async def test_event_is_rolled_back_when_seats_cannot_be_opened(pg_pool, redis):
    seller, _ = await principals(pg_pool)
    inventory = BrokenInventory(redis)
    with pytest.raises(ConnectionError):
        await service(pg_pool, inventory).catalog.create(seller, "Doomed", "", "", LAYOUT)
    async with pg_pool.acquire() as conn:
        events = await conn.fetchval("SELECT count(*) FROM events WHERE seller_id = $1",
                                     seller.user_id)
        tickets = await conn.fetchval("SELECT count(*) FROM tickets WHERE event_id = $1",
                                      inventory.opened.id)
    assert (events, tickets) == (0, 0)
    assert await redis.exists(avail_key(f"{inventory.opened.id}:A:1")) == 0


async def test_booking_cancel_is_a_compare_and_set(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.catalog.create(seller, "Show", "", "", LAYOUT)
    booking = await svc.bookings.create(buyer, BookingRequest(
        event.id, "A", 1, 2, SeatSelectionMode.MANUAL, ["1-1", "1-2"]))
    async with PostgresUnitOfWork(pg_pool) as uow:
        first = await uow.bookings.cancel(booking)
        stale = await uow.bookings.cancel(booking)  # still believes it is processing
    assert first[0].status is BookingStatus.CANCELLED and stale is None
    async with pg_pool.acquire() as conn:
        row = await conn.fetchrow("SELECT status, release_pending FROM bookings WHERE id = $1",
                                  booking.id)
    assert (row["status"], row["release_pending"]) == ("cancelled", True)


async def test_pay_sells_reserved_tickets_with_codes_and_moves_stats(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.catalog.create(seller, "Show", "", "", LAYOUT)
    booking = await svc.bookings.create(buyer, BookingRequest(
        event.id, "B", 1, 2, SeatSelectionMode.MANUAL, ["2-1", "2-2"]))
    async with pg_pool.acquire() as conn:  # what the reservation service would have done
        await conn.execute(
            "UPDATE bookings SET status = 'pending_payment' WHERE id = $1", booking.id)
        await conn.execute(
            "UPDATE tickets SET status = 'reserved', booking_id = $1 WHERE event_id = $2 "
            "AND section = 'B' AND row = 2 AND seat IN (1, 2)", booking.id, event.id)
        await conn.execute(
            "UPDATE subsection_stats SET available = 98, reserved = 2 WHERE event_id = $1 "
            "AND section = 'B'", event.id)
    await svc.bookings.pay(buyer, booking.id)
    detail = await svc.bookings.get(buyer, booking.id)
    assert detail.status is BookingStatus.COMPLETED and detail.paid_at is not None
    assert [(t["seat_position"], t["status"]) for t in detail.tickets] == [
        ("2-1", "sold"), ("2-2", "sold")]
    assert all(t["code"] for t in detail.tickets)
    stats = {(s.section, s.subsection): s for s in (await svc.catalog.get(event.id)).stats}
    assert (stats["B", 1].available, stats["B", 1].reserved, stats["B", 1].sold) == (98, 0, 2)


async def test_inventory_check_reads_counter_and_seat_bits_in_one_go(pg_pool, redis):
    seller, _ = await principals(pg_pool)
    event = await service(pg_pool, RedisSeatInventory(redis)).catalog.create(
        seller, "Show", "", "", LAYOUT)
    tag = f"{event.id}:A:1"
    await redis.execute_command("BITFIELD", seats_key(tag), "SET", "u1", "#11", 1)
    available, taken = await RedisSeatInventory(redis).check(tag, [10, 11, 12])
    assert (available, taken) == (100, [False, True, False])


async def test_status_feed_delivers_what_is_published_right_after_subscribing(redis):
    channel = f"test:{uuid.uuid4()}"
    async with RedisStatusFeed(redis).subscribe(channel) as messages:
        await redis.publish(channel, b"hello")
        got = await asyncio.wait_for(anext(messages), 5)
    assert got == b"hello"


async def consume_commands(kafka_settings, wanted: uuid.UUID) -> BookingCreated:
    consumer = AIOKafkaConsumer(
        COMMANDS_TOPIC, bootstrap_servers=kafka_settings.bootstrap_servers,
        group_id=f"test-{uuid.uuid4()}", auto_offset_reset="earliest")
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            async for message in consumer:
                command = decode_command(message.value)
                if command.booking_id == wanted:
                    assert message.key.decode() == f"{command.event_id}:A:1"
                    return command
    finally:
        await stop_quietly(consumer, 5)


class FailingOnce(KafkaCommandPublisher):
    def __init__(self, producer, timeout_s):
        super().__init__(producer, timeout_s)
        self.failed = False

    async def publish(self, command):
        if not self.failed:
            self.failed = True
            raise PublishFailed("simulated broker outage")
        await super().publish(command)


async def test_a_booking_whose_publish_failed_is_republished_by_the_outbox(
    pg_pool, redis, kafka_settings
):
    await ensure_topics(kafka_settings, {COMMANDS_TOPIC: kafka_settings.partitions})
    producer = create_producer(kafka_settings)
    await producer.start()
    try:
        seller, buyer = await principals(pg_pool)
        svc = service(pg_pool, RedisSeatInventory(redis), FailingOnce(producer, 10),
                      outbox_republish_after_s=0)
        event = await svc.catalog.create(seller, "Show", "", "", LAYOUT)
        booking = await svc.bookings.create(buyer, BookingRequest(
            event.id, "A", 1, 1, SeatSelectionMode.BEST_AVAILABLE, []))
        assert await svc.outbox.sweep() >= 1
        command = await consume_commands(kafka_settings, booking.id)
    finally:
        await stop_quietly(producer, 5)
    assert (command.quantity, command.config.rows) == (1, 10)
