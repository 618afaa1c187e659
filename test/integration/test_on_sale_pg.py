"""On-sale rules against the real PostgreSQL and redis-server (spec/booking.md, rules 10–13):
the per-buyer limit under a stampede of one buyer, across two API processes, against a
booking committed while the batch waits for its lock, beside a bad row, after a Kvrocks flush;
and event changes racing a first booking, prices only for bookings made after them."""

import asyncio
from dataclasses import replace

import pytest

from src.service.ticketing.adapters.kvrocks import RedisSeatInventory
from src.service.ticketing.application.update_event import LAYOUT_LOCKED, EventChange
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.sales import SalesPolicy
from test.integration.factories import insert_user
from test.integration.test_ticketing_adapters import SHOW, booked, hold, principals, service
from test.integration.test_ticketing_outages import BOOK, bearer, client_of

LIMITED = replace(SHOW, sales=SalesPolicy(max_tickets_per_buyer=4))


async def _held(pg_pool, event_id: int, buyer_id: int) -> int:
    async with pg_pool.acquire() as conn:
        return await conn.fetchval(
            "SELECT coalesce(sum(quantity), 0) FROM bookings WHERE event_id = $1 "
            "AND buyer_id = $2", event_id, buyer_id)


async def test_fifty_concurrent_bookings_of_one_buyer_hold_at_most_the_limit(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svcs = [service(pg_pool, RedisSeatInventory(redis)) for _ in range(2)]  # two processes
    event = await svcs[0].create_event(seller, LIMITED)
    bodies = [BOOK | {"event_id": event.id, "quantity": 1 + i % 2} for i in range(50)]
    async with client_of(svcs[0]) as one, client_of(svcs[1]) as two:
        answers = await asyncio.gather(*(
            (one, two)[i % 2].post("/api/booking", json=body,
                                   headers=bearer(svcs[0], buyer.user_id))
            for i, body in enumerate(bodies)))
    codes = [r.status_code for r in answers]
    assert set(codes) == {202, 400} and await _held(pg_pool, event.id, buyer.user_id) <= 4
    accepted = sum(b["quantity"] for b, r in zip(bodies, answers, strict=True)
                   if r.status_code == 202)
    assert accepted == await _held(pg_pool, event.id, buyer.user_id) >= 3
    assert {r.json()["detail"].split(":")[0] for r in answers if r.status_code == 400} == {
        "Purchase limit reached"}


async def test_a_booking_committed_while_the_batch_waits_for_its_lock_is_counted(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, LIMITED)
    await svc.layouts(event.id)
    async with pg_pool.acquire() as other:
        tx = other.transaction()
        await tx.start()
        # Another process stores 3 tickets: its insert's trigger holds the buyer's counter.
        await other.execute(
            "INSERT INTO bookings (id, buyer_id, event_id, section, subsection, quantity, "
            "seat_selection_mode, total_price) VALUES (gen_random_uuid(), $1, $2, 'A', 1, 3, "
            "'best_available', 1500)", buyer.user_id, event.id)
        ours = asyncio.create_task(booked(svc, buyer, event.id, ("1-1", "1-2")))
        await asyncio.sleep(0.3)
        assert not ours.done()  # it waits for the counter's lock, after reading nothing yet
        await tx.commit()
    with pytest.raises(InvalidRequest, match="you already have 3"):
        await ours
    assert await _held(pg_pool, event.id, buyer.user_id) == 3


async def test_a_bad_row_fails_alone_in_a_limited_batch(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    async with pg_pool.acquire() as conn:
        ghost = await insert_user(conn)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, LIMITED)
    await svc.authenticate(bearer(svc, ghost)["Authorization"].removeprefix("Bearer "))
    async with pg_pool.acquire() as conn:
        await conn.execute("DELETE FROM users WHERE id = $1", ghost)
    who = [ghost, buyer.user_id] * 3
    async with client_of(svc) as client:
        answers = await asyncio.gather(*(
            client.post("/api/booking", json=BOOK | {"event_id": event.id},
                        headers=bearer(svc, user)) for user in who))
    assert [r.status_code for r in answers] == [401, 202] * 3
    assert await _held(pg_pool, event.id, buyer.user_id) == 3


async def test_the_limit_survives_a_kvrocks_flush(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, LIMITED)
    await booked(svc, buyer, event.id, ("1-1", "1-2", "1-3", "1-4"))
    await redis.flushall()
    with pytest.raises(InvalidRequest, match="Purchase limit reached"):
        await booked(svc, buyer, event.id, ("2-1",))


async def test_a_new_layout_waits_for_a_first_booking_in_flight_and_is_refused(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    taller = SHOW.seating_config | {"rows": 12}
    async with pg_pool.acquire() as other:
        tx = other.transaction()
        await tx.start()
        await other.execute(  # a booking's insert, not yet committed: FOR KEY SHARE on the event
            "INSERT INTO bookings (id, buyer_id, event_id, section, subsection, quantity, "
            "seat_selection_mode) VALUES (gen_random_uuid(), $1, $2, 'A', 1, 1, "
            "'best_available')", buyer.user_id, event.id)
        change = asyncio.create_task(
            svc.tickets.update_event(seller, event.id, EventChange(seating_config=taller)))
        await asyncio.sleep(0.3)
        assert not change.done()
        await tx.commit()
    with pytest.raises(InvalidRequest, match=LAYOUT_LOCKED):
        await change
    async with pg_pool.acquire() as conn:
        seats = await conn.fetchval("SELECT count(*) FROM tickets WHERE event_id = $1", event.id)
    assert seats == 300


async def test_a_new_layout_before_any_booking_remakes_the_seats(pg_pool, redis):
    seller, _ = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    small = {"rows": 2, "cols": 3, "sections": [{"name": "B", "price": 70, "subsections": 1}]}
    changed = await svc.tickets.update_event(seller, event.id, EventChange(seating_config=small))
    assert [(s.section, s.total, s.price) for s in changed.stats] == [("B", 6, 70)]
    async with pg_pool.acquire() as conn:
        rows = await conn.fetch("SELECT section, price FROM tickets WHERE event_id = $1",
                                event.id)
    assert {(r["section"], r["price"]) for r in rows} == {("B", 70)} and len(rows) == 6


async def test_a_price_change_is_paid_only_by_bookings_made_after_it(pg_pool, redis):
    seller, buyer = await principals(pg_pool)
    svc = service(pg_pool, RedisSeatInventory(redis))
    event = await svc.create_event(seller, SHOW)
    before = await booked(svc, buyer, event.id, ("1-1", "1-2"))
    await svc.tickets.update_event(seller, event.id, EventChange(prices={"A": 800}))
    after = await booked(svc, buyer, event.id, ("2-1", "2-2"))
    assert (before.total_price, after.total_price) == (1000, 1600)
    await hold(pg_pool, before, event.id)
    await svc.pay_booking(buyer, before.id)  # its seats were repriced while still available
    assert [t.price for t in (await svc.get_booking(buyer, before.id)).tickets] == [500, 500]
    async with pg_pool.acquire() as conn:
        free = await conn.fetchval(
            "SELECT DISTINCT price FROM tickets WHERE event_id = $1 AND section = 'A' "
            "AND status = 'available'", event.id)
    assert free == 800
