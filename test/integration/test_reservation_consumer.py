"""The consumer entrypoint end to end on real Kafka, PostgreSQL and redis-server.

Each test uses its own topics and consumer group, so tests (and other people's runs on the same
broker) never see each other's messages.
"""

import asyncio
import contextlib
import json
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from src.platform.kafka import create_consumer, create_producer, ensure_topics
from src.service.contract import alloc_key, booking_status_channel, encode, subsection_tag
from src.service.reservation.application.ports import Subsection
from src.service.reservation.entrypoints.consumer import serve
from src.service.reservation.settings import ConsumerSettings, Settings
from test.integration.factories import insert_event, insert_user
from test.integration.test_reservation_rebuild import insert_bookings
from test.integration.test_reservation_seat_map import bits, clear
from test.reservation_fakes import created

DEADLINE_S = 30


@pytest.fixture
def settings(kafka_settings, database_settings, kvrocks_settings):
    run = uuid.uuid4().hex[:8]
    consumer = ConsumerSettings(
        commands_topic=f"test.commands.{run}", dead_letter_topic=f"test.dlq.{run}",
        group_id=f"test-reservation-{run}",
    )
    return Settings(consumer, database_settings, kvrocks_settings, kafka_settings)


async def eventually(check, what: str):
    """Poll `check` until it returns something truthy; fail with `what` after the deadline."""
    for _ in range(DEADLINE_S * 10):
        if result := await check():
            return result
        await asyncio.sleep(0.1)
    pytest.fail(f"never happened: {what}")


@contextlib.asynccontextmanager
async def running(settings: Settings):
    """The consumer entrypoint's loop as a task, stopped gracefully on exit."""
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def publish(settings: Settings, messages: list[tuple[str, bytes]]) -> None:
    producer = create_producer(settings.kafka)
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(settings.consumer.commands_topic, value, key=key.encode())
    finally:
        await producer.stop()


def keyed(command) -> tuple[str, bytes]:
    return subsection_tag(command.event_id, command.section, command.subsection), encode(command)


async def test_the_consumer_settles_two_events_and_parks_poison(settings, pg_pool, redis):
    async with pg_pool.acquire() as conn:
        seller, buyer = await insert_user(conn, "seller"), await insert_user(conn)
        events = [await insert_event(conn, seller, rows=2, cols=3) for _ in range(2)]
    first, second, later = (created(events[0], buyer_id=buyer), created(events[1], buyer_id=buyer),
                            created(events[0], quantity=1, buyer_id=buyer))
    async with pg_pool.acquire() as conn:
        await insert_bookings(conn, first, second, later)
    await clear(redis, *[subsection_tag(e, "A", 1) for e in events])  # no seat map yet
    pubsub = redis.pubsub()
    await pubsub.subscribe(*[booking_status_channel(buyer, e) for e in events])
    cfg = settings.consumer
    await ensure_topics(settings.kafka, {cfg.commands_topic: 2, cfg.dead_letter_topic: 1})
    poison = (subsection_tag(events[0], "A", 1), b'{"type": "BookingCreated"')
    async with running(settings):
        await publish(settings, [keyed(first), poison, keyed(second)])
        async with dead_letters(settings) as read:
            letter = await eventually(read, "dead letter")
        await publish(settings, [keyed(later)])  # the consumer goes on after the poison
        ids = [first.booking_id, second.booking_id, later.booking_id]
        statuses = await eventually(lambda: settled(pg_pool, ids), "bookings settled")
        published = await eventually(lambda: status_messages(pubsub, 3), "status messages")
    await pubsub.aclose()

    assert statuses == ["pending_payment"] * 3
    assert {(m["booking_id"], m["status"]) for m in published} == {
        (str(i), "pending_payment") for i in ids
    }
    assert letter.value == poison[1]
    assert dict(letter.headers)["reason"].startswith(b"undecodable")
    assert await committed(settings) == 4


async def settled(pg_pool, ids) -> list[str] | None:
    async with pg_pool.acquire() as conn:
        rows = await conn.fetch("SELECT id, status FROM bookings WHERE id = ANY($1)", ids)
    status = {r["id"]: r["status"] for r in rows}
    return None if "processing" in status.values() else [status[i] for i in ids]


collected: dict[int, list[dict]] = {}


async def status_messages(pubsub, count: int) -> list[dict] | None:
    seen = collected.setdefault(id(pubsub), [])
    while message := await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05):
        seen.append(json.loads(message["data"]))
    return seen if len(seen) >= count else None


@contextlib.asynccontextmanager
async def dead_letters(settings: Settings):
    """A reader of the test's dead-letter topic; `await read()` gives one letter or None."""
    reader = create_consumer(
        settings.kafka, settings.consumer.dead_letter_topic, f"{settings.consumer.group_id}-dlq"
    )
    await reader.start()

    async def read():
        batches = await reader.getmany(timeout_ms=100, max_records=1)
        return next((r for part in batches.values() for r in part), None)

    try:
        yield read
    finally:
        await reader.stop()


async def committed(settings: Settings) -> int:
    """Sum of the offsets the consumer group committed on the commands topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(settings.consumer.group_id)
    finally:
        await admin.close()
    return sum(meta.offset for tp, meta in offsets.items()
               if tp.topic == settings.consumer.commands_topic)


async def drifted(pg_pool):
    """A 1×4 event where PostgreSQL holds seat 1-4 for a booking the seat map does not know,
    and three bookings to settle: 1-1, 1-4 (manual) and one best available."""
    async with pg_pool.acquire() as conn:
        seller, buyer = await insert_user(conn, "seller"), await insert_user(conn)
        event_id = await insert_event(conn, seller, rows=1, cols=4)
        squatter = created(event_id, buyer_id=buyer)
        good, bad = (created(event_id, positions=["1-1"], rows=1, cols=4, buyer_id=buyer),
                     created(event_id, positions=["1-4"], rows=1, cols=4, buyer_id=buyer))
        best = created(event_id, quantity=1, rows=1, cols=4, buyer_id=buyer)
        await insert_bookings(conn, squatter, good, bad, best)
        await conn.execute(
            "UPDATE tickets SET status = 'reserved', booking_id = $1 "
            "WHERE event_id = $2 AND row = 1 AND seat = 4", squatter.booking_id, event_id,
        )
        await conn.execute("UPDATE bookings SET status = 'pending_payment' WHERE id = $1",
                           squatter.booking_id)
    return event_id, squatter, good, bad, best


async def test_seats_postgres_refuses_heal_the_seat_map_and_fail_no_booking_wrongly(
    settings, pg_pool, redis
):
    event_id, squatter, good, bad, best = await drifted(pg_pool)
    tag = subsection_tag(event_id, "A", 1)
    await clear(redis, tag)
    cfg = settings.consumer
    await ensure_topics(settings.kafka, {cfg.commands_topic: 1, cfg.dead_letter_topic: 1})
    async with running(settings):
        await publish(settings, [keyed(good), keyed(bad), keyed(best)])
        ids = [good.booking_id, bad.booking_id, best.booking_id]
        statuses = await eventually(lambda: settled(pg_pool, ids), "bookings settled")
        async with dead_letters(settings) as read:
            letter = await read()
    async with pg_pool.acquire() as conn:
        reason = await conn.fetchval("SELECT failure_reason FROM bookings WHERE id = $1",
                                     bad.booking_id)

    assert statuses == ["pending_payment", "failed", "pending_payment"]
    assert reason == "Requested seats are not available"  # truly taken, said for a buyer
    assert letter is None
    assert await bits(redis, Subsection(event_id, "A", 1, 1, 4)) == [1, 1, 0, 1]
    assert await redis.hget(alloc_key(tag), str(squatter.booking_id)) == b"3"
