"""Idempotency-Key against the real PostgreSQL: key and booking commit together, concurrent
retries make one booking, expired keys are taken over and purged (spec/architecture.md,
guarantee 9)."""

import asyncio
import uuid

import pytest

from src.service.lifecycle import BookingStatus
from src.service.ticketing.adapters.kvrocks import RedisSeatInventory
from src.service.ticketing.adapters.postgres import PostgresUnitOfWork
from src.service.ticketing.adapters.postgres_inbox import PostgresBookingInbox
from src.service.ticketing.application.create_booking import BookingRequest
from src.service.ticketing.domain.booking import SeatSelectionMode
from src.service.ticketing.domain.errors import Conflict
from src.service.ticketing.domain.idempotency import Operation
from test.integration.test_ticketing_adapters import SHOW, hold, principals, service


def request(event_id: int, quantity: int = 1) -> BookingRequest:
    return BookingRequest(event_id, "A", 1, quantity, SeatSelectionMode.BEST_AVAILABLE, [])


async def rows(pg_pool, sql: str, *args):
    async with pg_pool.acquire() as conn:
        return await conn.fetch(sql, *args)


async def test_a_retry_after_a_crash_gets_the_committed_booking(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    first = service(pg_pool, RedisSeatInventory(redis))
    event = await first.create_event(seller, SHOW)
    stored = (await first.create_booking(buyer, request(event.id), "crash-1")).booking
    # A new process (fresh caches, fresh inbox) receives the client's retry.
    reborn = service(pg_pool, RedisSeatInventory(redis))
    again = await reborn.create_booking(buyer, request(event.id), "crash-1")
    assert (again.booking.id, again.replayed) == (stored.id, True)
    [key] = await rows(pg_pool, "SELECT * FROM idempotency_keys WHERE buyer_id = $1",
                       buyer.user_id)
    assert (key["key"], key["operation"], key["booking_id"]) == ("crash-1", "create", stored.id)


async def test_concurrent_retries_with_one_key_make_one_booking(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    replies = await asyncio.gather(*(svc.create_booking(buyer, request(event.id), "same")
                                     for _ in range(10)))
    later = await svc.create_booking(buyer, request(event.id), "same")
    assert len({r.booking.id for r in [*replies, later]}) == 1
    assert sorted(r.replayed for r in replies) == [False] + [True] * 9 and later.replayed
    count = await rows(pg_pool, "SELECT id FROM bookings WHERE buyer_id = $1", buyer.user_id)
    assert len(count) == 1
    with pytest.raises(Conflict):
        await svc.create_booking(buyer, request(event.id, quantity=2), "same")


async def test_an_expired_key_is_taken_over_and_purged(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis), idempotency_ttl_s=60)
    event = await svc.create_event(seller, SHOW)
    old = (await svc.create_booking(buyer, request(event.id), "k")).booking
    await rows(pg_pool, "UPDATE idempotency_keys SET created_at = now() - interval '61 s' "
               "WHERE buyer_id = $1", buyer.user_id)
    new = await svc.create_booking(buyer, request(event.id), "k")
    assert new.booking.id != old.id and not new.replayed
    await rows(pg_pool, "UPDATE idempotency_keys SET created_at = now() - interval '61 s' "
               "WHERE buyer_id = $1", buyer.user_id)
    await svc.relay_outbox()
    assert await rows(pg_pool, "SELECT 1 FROM idempotency_keys WHERE buyer_id = $1",
                      buyer.user_id) == []


async def test_a_key_claimed_between_the_read_and_the_write_is_not_taken(pg_pool):
    _, buyer = await principals(pg_pool)
    booking_id = uuid.uuid4()
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert await uow.keys.find(buyer.user_id, "k", 60) is None  # the read: unused
        async with PostgresUnitOfWork(pg_pool) as other:  # another request commits first
            assert await other.keys.claim(buyer.user_id, "k", Operation.PAY, booking_id, 60)
        assert not await uow.keys.claim(buyer.user_id, "k", Operation.CANCEL, booking_id, 60)
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert (await uow.keys.find(buyer.user_id, "k", 60)).operation is Operation.PAY


async def test_a_retried_pay_is_answered_from_its_key_after_a_crash(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    booking = (await svc.create_booking(buyer, BookingRequest(
        event.id, "A", 1, 2, SeatSelectionMode.MANUAL, ["1-1", "1-2"]))).booking
    await hold(pg_pool, booking, event.id)
    first = await svc.pay_booking(buyer, booking.id, "pay-1")
    again = await service(pg_pool, RedisSeatInventory(redis)).pay_booking(
        buyer, booking.id, "pay-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.booking.status is BookingStatus.COMPLETED


async def test_the_inbox_resolves_a_taken_key_to_its_booking(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    stored = (await svc.create_booking(buyer, request(event.id), "k")).booking
    inbox = PostgresBookingInbox(pg_pool)
    use = await inbox.find(buyer.user_id, "k")
    assert (use.operation, use.booking.id) == (Operation.CREATE, stored.id)
    assert await inbox.find(buyer.user_id, "unknown") is None
