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
from src.service.lifecycle import CANCEL_HELD, CANCEL_UNSETTLED, BookingStatus
from src.service.ticketing.adapters.kafka import KafkaCommandPublisher
from src.service.ticketing.adapters.kvrocks import RedisPubSubLink, RedisSeatInventory
from src.service.ticketing.adapters.postgres import PostgresUnitOfWork
from src.service.ticketing.adapters.postgres_acks import PostgresAckLog
from src.service.ticketing.adapters.postgres_inbox import PostgresBookingInbox
from src.service.ticketing.adapters.pubsub_hub import StatusHub
from src.service.ticketing.application.create_booking import BookingRequest
from src.service.ticketing.application.create_event import EventDraft
from src.service.ticketing.application.ports import PublishFailed
from src.service.ticketing.bootstrap import build
from src.service.ticketing.domain.booking import SeatSelectionMode
from src.service.ticketing.domain.user import Principal, Role
from src.service.ticketing.settings import TicketingSettings
from test.integration.factories import insert_user
from test.ticketing_fakes_io import (
    FakeFeed,
    PlainHasher,
    RecordingNotifier,
    RecordingPublisher,
)

LAYOUT = {"rows": 10, "cols": 10, "sections": [{"name": "A", "price": 500, "subsections": 2},
                                               {"name": "B", "price": 300, "subsections": 1}]}


SHOW = EventDraft("Show", "", "Hall", LAYOUT)


def service(pg_pool, inventory, publisher=None, **settings):
    config = TicketingSettings(**settings)
    return build(
        config, uow=lambda: PostgresUnitOfWork(pg_pool),
        inbox=PostgresBookingInbox(pg_pool, config.idempotency_ttl_s),
        inventory=inventory, publisher=publisher or RecordingPublisher(),
        acks=PostgresAckLog(pg_pool), notifier=RecordingNotifier(), feed=FakeFeed(),
        hasher=PlainHasher(),
    )


async def principals(pg_pool) -> tuple[Principal, Principal]:
    async with pg_pool.acquire() as conn:
        return (Principal(await insert_user(conn, "seller"), Role.SELLER),
                Principal(await insert_user(conn, "buyer"), Role.BUYER))


async def test_event_creation_copies_one_ticket_per_seat_and_writes_no_seat_map(pg_pool, redis):
    seller, _ = await principals(pg_pool)
    event = await service(pg_pool, RedisSeatInventory(redis)).create_event(seller, SHOW)
    async with pg_pool.acquire() as conn:
        tickets = await conn.fetchval("SELECT count(*) FROM tickets WHERE event_id = $1", event.id)
    assert tickets == 300
    assert [(s.section, s.subsection, s.available) for s in event.stats] == [
        ("A", 1, 100), ("A", 2, 100), ("B", 1, 100)]
    # The seat map is the reservation service's (spec/architecture.md, "Ownership").
    assert await redis.exists(avail_key(f"{event.id}:B:1"), seats_key(f"{event.id}:B:1")) == 0


async def booked(svc, buyer, event_id, seats=("1-1", "1-2"), section="A"):
    return (await svc.create_booking(buyer, BookingRequest(
        event_id, section, 1, len(seats), SeatSelectionMode.MANUAL, list(seats)))).booking


async def hold(pg_pool, booking, event_id, section="A", row=1):
    """What the reservation service would have done: hold the booking's seats."""
    async with pg_pool.acquire() as conn:
        await conn.execute(
            "UPDATE bookings SET status = 'pending_payment' WHERE id = $1", booking.id)
        await conn.execute(
            "UPDATE tickets SET status = 'reserved', booking_id = $1 WHERE event_id = $2 "
            "AND section = $3 AND subsection = 1 AND row = $4 AND seat IN (1, 2)",
            booking.id, event_id, section, row)
        await conn.execute(
            "UPDATE subsection_stats SET available = available - 2, reserved = reserved + 2 "
            "WHERE event_id = $1 AND section = $2 AND subsection = 1", event_id, section)


async def test_booking_cancel_is_a_compare_and_set(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    booking = await booked(svc, buyer, event.id)
    async with PostgresUnitOfWork(pg_pool) as uow:
        first = await uow.bookings.cancel(booking, CANCEL_UNSETTLED)
        stale = await uow.bookings.cancel(booking, CANCEL_UNSETTLED)  # still believes so
    assert first[0].status is BookingStatus.CANCELLED and stale is None
    async with pg_pool.acquire() as conn:
        row = await conn.fetchrow("SELECT status, release_pending FROM bookings WHERE id = $1",
                                  booking.id)
    assert (row["status"], row["release_pending"]) == ("cancelled", True)


async def test_a_cancel_loses_to_a_payment_between_its_read_and_its_write(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    booking = await booked(svc, buyer, event.id)
    await hold(pg_pool, booking, event.id)
    async with PostgresUnitOfWork(pg_pool) as uow:
        read = await uow.bookings.get(booking.id)  # the cancel reads pending_payment...
    await svc.pay_booking(buyer, booking.id)  # ...then the booking is paid
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert await uow.bookings.cancel(read, CANCEL_HELD) is None
    async with pg_pool.acquire() as conn:
        tickets = await conn.fetch("SELECT status FROM tickets WHERE booking_id = $1", booking.id)
        status = await conn.fetchval("SELECT status FROM bookings WHERE id = $1", booking.id)
    assert (status, [t["status"] for t in tickets]) == ("completed", ["sold", "sold"])
    with pytest.raises(Exception, match="Cannot cancel a completed booking"):
        await svc.cancel_booking(buyer, booking.id)


async def test_cancelling_a_held_booking_frees_its_tickets_and_counts(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    booking = await booked(svc, buyer, event.id)
    await hold(pg_pool, booking, event.id)
    cancelled = (await svc.cancel_booking(buyer, booking.id)).booking
    assert cancelled.status is BookingStatus.CANCELLED
    async with pg_pool.acquire() as conn:
        held = await conn.fetchval("SELECT count(*) FROM tickets WHERE booking_id = $1",
                                   booking.id)
    stats = {(s.section, s.subsection): s for s in (await svc.get_event(event.id)).stats}
    assert (held, stats["A", 1].available, stats["A", 1].reserved) == (0, 100, 0)


async def test_pay_sells_reserved_tickets_with_codes_and_moves_stats(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    booking = await booked(svc, buyer, event.id, ("2-1", "2-2"), "B")
    await hold(pg_pool, booking, event.id, "B", row=2)
    await svc.pay_booking(buyer, booking.id)
    detail = await svc.get_booking(buyer, booking.id)
    assert detail.booking.status is BookingStatus.COMPLETED and detail.booking.paid_at
    assert [(str(t.position), t.status) for t in detail.tickets] == [
        ("2-1", "sold"), ("2-2", "sold")]
    assert all(t.code for t in detail.tickets)
    stats = {(s.section, s.subsection): s for s in (await svc.get_event(event.id)).stats}
    assert (stats["B", 1].available, stats["B", 1].reserved, stats["B", 1].sold) == (98, 0, 2)


async def test_inventory_check_reads_counter_and_seat_bits_in_one_go(pg_pool, redis):
    seller, _ = await principals(pg_pool)
    event = await service(pg_pool, RedisSeatInventory(redis)).create_event(seller, SHOW)
    tag = f"{event.id}:A:1"
    assert await RedisSeatInventory(redis).check(tag, [10]) == (None, [False])
    await redis.set(avail_key(tag), 99)
    await redis.execute_command("BITFIELD", seats_key(tag), "SET", "u1", "#11", 1)
    available, taken = await RedisSeatInventory(redis).check(tag, [10, 11, 12])
    assert (available, taken) == (99, [False, True, False])


async def test_status_feed_delivers_what_is_published_right_after_subscribing(
    redis, kvrocks_settings
):
    channel = f"test:{uuid.uuid4()}"
    hub = StatusHub(lambda: RedisPubSubLink.open(kvrocks_settings))
    try:
        async with hub.subscribe(channel) as messages:
            await redis.publish(channel, b"hello")
            got = await asyncio.wait_for(anext(messages), 5)
    finally:
        await hub.aclose()
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
        event = await svc.create_event(seller, SHOW)
        booking = (await svc.create_booking(buyer, BookingRequest(
            event.id, "A", 1, 1, SeatSelectionMode.BEST_AVAILABLE, []))).booking
        assert await svc.relay_outbox() >= 1
        command = await consume_commands(kafka_settings, booking.id)
    finally:
        await stop_quietly(producer, 5)
    assert (command.quantity, command.config.rows) == (1, 10)
