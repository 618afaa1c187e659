"""The outbox against the real PostgreSQL and Kafka: acks are recorded, only unacknowledged
commands are re-sent and with exponential backoff, a booking past the settle deadline is given
up by a compare-and-set (spec/architecture.md, guarantee 8)."""

import asyncio

from src.platform.kafka import create_producer, ensure_topics, stop_quietly
from src.service.contract import COMMANDS_TOPIC, BookingCancelled
from src.service.lifecycle import BookingStatus
from src.service.ticketing.adapters.kafka import KafkaCommandPublisher
from src.service.ticketing.adapters.kvrocks import RedisSeatInventory
from src.service.ticketing.adapters.postgres import PostgresUnitOfWork
from src.service.ticketing.adapters.postgres_acks import PostgresAckLog
from src.service.ticketing.application.create_booking import BookingRequest
from src.service.ticketing.domain.booking import FailureReason, SeatSelectionMode
from test.integration.test_ticketing_adapters import SHOW, hold, principals, service
from test.ticketing_fakes_io import RecordingPublisher

# Far beyond the age of any booking other tests leave behind in the same database.
DEADLINE_S = 10**8


async def fetchrow(pg_pool, sql: str, *args):
    async with pg_pool.acquire() as conn:
        return await conn.fetchrow(sql, *args)


async def new_booking(svc, buyer, event_id, seats=("1-1", "1-2")):
    return (await svc.create_booking(buyer, BookingRequest(
        event_id, "A", 1, len(seats), SeatSelectionMode.MANUAL, list(seats)))).booking


async def test_the_brokers_ack_is_recorded_off_the_response_path(pg_pool, redis, kafka_settings):
    await ensure_topics(kafka_settings, {COMMANDS_TOPIC: kafka_settings.partitions})
    producer = create_producer(kafka_settings)
    await producer.start()
    try:
        seller, buyer = await principals(pg_pool)
        svc = service(pg_pool, RedisSeatInventory(redis), KafkaCommandPublisher(producer, 10))
        event = await svc.create_event(seller, SHOW)
        booking = await new_booking(svc, buyer, event.id)
        for _ in range(100):
            row = await fetchrow(pg_pool, "SELECT * FROM bookings WHERE id = $1", booking.id)
            if row["command_acked"]:
                break
            await asyncio.sleep(0.05)
    finally:
        await stop_quietly(producer, 5)
    assert row["command_acked"] and row["publish_attempts"] == 1


async def age(pg_pool, booking_id, seconds: float, column: str = "updated_at") -> None:
    await fetchrow(pg_pool, f"UPDATE bookings SET {column} = now() - make_interval(secs => $2) "
                   "WHERE id = $1", booking_id, seconds)


async def claimed(pg_pool, booking_id) -> bool:
    async with PostgresUnitOfWork(pg_pool) as uow:
        entries = await uow.bookings.claim_stale(10, 300, 10_000)
    return booking_id in {e.booking.id for e in entries}


async def unacknowledged(pg_pool, redis):
    """(buyer, event, a booking whose first send failed, so its command was never acked)."""
    seller, buyer = await principals(pg_pool)
    publisher = RecordingPublisher()
    publisher.fail_next = 1
    svc = service(pg_pool, RedisSeatInventory(redis), publisher)
    event = await svc.create_event(seller, SHOW)
    return buyer, event, await new_booking(svc, buyer, event.id)


async def test_resends_back_off_exponentially_and_skip_acknowledged_commands(pg_pool, redis):
    buyer, event, booking = await unacknowledged(pg_pool, redis)
    # The Nth re-send waits 10 s × 2^(N-1) after the previous one, at most 300 s.
    for wait in (10, 20, 40, 80, 160, 300, 300):
        await age(pg_pool, booking.id, wait - 1)
        assert not await claimed(pg_pool, booking.id), wait
        await age(pg_pool, booking.id, wait + 1)
        assert await claimed(pg_pool, booking.id), wait
    healthy = service(pg_pool, RedisSeatInventory(redis))  # its circuit never opened
    acked = await new_booking(healthy, buyer, event.id, ("2-1",))
    await asyncio.sleep(0.1)  # the ack's background write
    await age(pg_pool, acked.id, 3600)
    assert not await claimed(pg_pool, acked.id)


async def test_an_ack_for_a_booking_settled_meanwhile_changes_nothing(pg_pool, redis):
    _, event, booking = await unacknowledged(pg_pool, redis)
    await hold(pg_pool, booking, event.id)  # settled before the ack got written
    PostgresAckLog(pg_pool).acked(booking.id)
    await asyncio.sleep(0.1)
    row = await fetchrow(pg_pool, "SELECT * FROM bookings WHERE id = $1", booking.id)
    assert (row["status"], row["command_acked"]) == ("pending_payment", False)


async def acked_flag(pg_pool, booking_id) -> bool:
    return (await fetchrow(pg_pool, "SELECT command_acked FROM bookings WHERE id = $1",
                           booking_id))["command_acked"]


async def test_a_delayed_ack_is_written_once_due_and_only_for_bookings_still_processing(
        pg_pool, redis):
    _, _, waiting = await unacknowledged(pg_pool, redis)
    _, event, settled = await unacknowledged(pg_pool, redis)
    acks = PostgresAckLog(pg_pool, delay_s=0.4)
    acks.acked(waiting.id)
    acks.acked(settled.id)
    await asyncio.sleep(0.2)
    assert not await acked_flag(pg_pool, waiting.id)  # not due yet
    await hold(pg_pool, settled, event.id)  # settled within the delay: nothing to write
    await asyncio.sleep(0.6)
    assert await acked_flag(pg_pool, waiting.id)
    assert not await acked_flag(pg_pool, settled.id)
    await acks.aclose()


async def test_closing_the_ack_log_writes_the_acks_not_yet_due(pg_pool, redis):
    _, _, booking = await unacknowledged(pg_pool, redis)
    acks = PostgresAckLog(pg_pool, delay_s=3600)
    acks.acked(booking.id)
    await asyncio.sleep(0.05)
    assert not await acked_flag(pg_pool, booking.id)
    await acks.aclose()
    assert await acked_flag(pg_pool, booking.id)


async def test_acks_and_give_ups_skip_rows_a_settling_transaction_holds(pg_pool, redis):
    _, _, booking = await unacknowledged(pg_pool, redis)
    async with pg_pool.acquire() as conn, conn.transaction():  # the consumer settling it
        await conn.execute("SELECT 1 FROM bookings WHERE id = $1 FOR UPDATE", booking.id)
        PostgresAckLog(pg_pool).acked(booking.id)
        await asyncio.sleep(0.1)
        async with PostgresUnitOfWork(pg_pool) as uow:
            failed = await asyncio.wait_for(uow.bookings.give_up(
                [booking.id], FailureReason.NOT_CONFIRMED_IN_TIME), 2)
    assert failed == []
    row = await fetchrow(pg_pool, "SELECT * FROM bookings WHERE id = $1", booking.id)
    assert (row["status"], row["command_acked"]) == ("processing", False)


async def test_the_deadline_gives_up_only_bookings_still_processing(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    publisher = RecordingPublisher()
    svc = service(pg_pool, RedisSeatInventory(redis), publisher, settle_deadline_s=DEADLINE_S)
    event = await svc.create_event(seller, SHOW)
    late = await new_booking(svc, buyer, event.id, ("1-1",))
    settles = await new_booking(svc, buyer, event.id, ("3-1", "3-2"))
    young = await new_booking(svc, buyer, event.id, ("4-1",))
    for booking in (late, settles):
        await age(pg_pool, booking.id, DEADLINE_S + 1, "created_at")
    async with PostgresUnitOfWork(pg_pool) as uow:  # the read...
        overdue = {b.id for b in await uow.bookings.overdue(DEADLINE_S, 10_000)}
    assert {late.id, settles.id} <= overdue and young.id not in overdue
    await hold(pg_pool, settles, event.id, row=3)  # ...then one settles before the write
    async with PostgresUnitOfWork(pg_pool) as uow:
        failed = await uow.bookings.give_up([late.id, settles.id],
                                            FailureReason.NOT_CONFIRMED_IN_TIME)
    assert [b.id for b in failed] == [late.id]
    row = await fetchrow(pg_pool, "SELECT * FROM bookings WHERE id = $1", late.id)
    assert (row["status"], row["failure_reason"], row["release_pending"]) == (
        "failed", "Booking could not be confirmed in time", True)
    held = await fetchrow(pg_pool, "SELECT status FROM bookings WHERE id = $1", settles.id)
    assert held["status"] == BookingStatus.PENDING_PAYMENT


async def test_the_relay_announces_and_releases_a_booking_past_the_deadline(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    publisher = RecordingPublisher()
    svc = service(pg_pool, RedisSeatInventory(redis), publisher, settle_deadline_s=DEADLINE_S)
    event = await svc.create_event(seller, SHOW)
    booking = await new_booking(svc, buyer, event.id, ("5-1",))
    await age(pg_pool, booking.id, DEADLINE_S + 1, "created_at")
    await svc.relay_outbox()
    row = await fetchrow(pg_pool, "SELECT * FROM bookings WHERE id = $1", booking.id)
    assert (row["status"], row["release_pending"]) == ("failed", False)
    assert [type(c) for c in publisher.sent if c.booking_id == booking.id][-1] is BookingCancelled
