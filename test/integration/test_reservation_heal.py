"""Guarantee 7 (spec/architecture.md) on real redis-server and PostgreSQL: the seat map heals
from a flush, an old snapshot, a rebuild under load, a crash between script and commit and a
second consumer, and no booking fails because of it."""

import asyncio

import pytest

from src.service.contract import alloc_key, avail_key, gen_key
from src.service.reservation.adapters.kvrocks import (
    RedisSeatMap,
    RedisStatusPublisher,
    subsection_keys,
)
from src.service.reservation.adapters.postgres import PostgresBookingLedger
from src.service.reservation.application.ports import StaleSeatMap, Subsection, SubsectionId
from src.service.reservation.bootstrap import build
from src.service.reservation.entrypoints.rebuild import rebuild
from src.service.reservation.settings import load_settings
from src.service.seats import SeatPosition
from src.service.ticketing.adapters.kvrocks import RedisSeatInventory
from test.integration.factories import insert_event, insert_user
from test.integration.test_reservation_rebuild import cancel_in_postgres, insert_bookings
from test.integration.test_reservation_seat_map import bits
from test.reservation_fakes import cancelled, created, settle
from test.reservation_flow import Feed, RecordingDeadLetters, pipeline

ROWS, COLS = 4, 5


@pytest.fixture
async def sale(pg_pool, redis):
    """An event with one 4×5 subsection and a buyer; `book(n)` makes n one-or-two-seat
    bookings in PostgreSQL and returns their commands."""
    async with pg_pool.acquire() as conn:
        seller, buyer = await insert_user(conn, "seller"), await insert_user(conn)
        event_id = await insert_event(conn, seller, rows=ROWS, cols=COLS)
    where = Subsection(event_id, "A", 1, ROWS, COLS)
    await redis.delete(*subsection_keys(where.tag))

    async def book(n: int, quantity: int = 1):
        commands = [created(event_id, quantity=quantity, rows=ROWS, cols=COLS, buyer_id=buyer)
                    for _ in range(n)]
        async with pg_pool.acquire() as conn:
            await insert_bookings(conn, *commands)
        return commands

    return where, book


def consumer(pg_pool, redis):
    """A reservation process: its own generations, the shared stores."""
    return build(RedisSeatMap(redis), PostgresBookingLedger(pg_pool), RedisStatusPublisher(redis),
                 RecordingDeadLetters())


async def statuses(pg_pool, commands) -> list[str]:
    async with pg_pool.acquire() as conn:
        rows = await conn.fetch("SELECT id, status FROM bookings WHERE id = ANY($1)",
                                [c.booking_id for c in commands])
    by_id = {r["id"]: r["status"] for r in rows}
    return [by_id[c.booking_id] for c in commands]


async def assert_agrees(pg_pool, redis, where: Subsection) -> None:
    """Bits, allocations, counter and generation in Kvrocks equal what PostgreSQL holds."""
    async with pg_pool.acquire() as conn:
        tickets = await conn.fetch(
            "SELECT row, seat, booking_id FROM tickets WHERE event_id = $1 AND status <> "
            "'available'", where.event_id)
        gen = await conn.fetchval("SELECT seat_map_gen FROM subsection_stats WHERE event_id = $1",
                                  where.event_id)
    held: dict[str, list[int]] = {}
    for t in tickets:
        held.setdefault(str(t["booking_id"]), []).append(
            SeatPosition(t["row"], t["seat"]).index(COLS))
    expected = [0] * (ROWS * COLS)
    for seats in held.values():
        for i in seats:
            expected[i] = 1
    alloc = {k.decode(): v.decode() for k, v in (await redis.hgetall(alloc_key(where.tag))).items()
             if v}
    assert await bits(redis, where) == expected
    assert alloc == {b: ",".join(map(str, sorted(s))) for b, s in held.items()}
    assert int(await redis.get(avail_key(where.tag))) == ROWS * COLS - len(tickets)
    assert int(await redis.get(gen_key(where.tag)) or 0) == gen


async def test_a_flushall_between_batches_heals_and_no_booking_fails(pg_pool, redis, sale):
    where, book = sale
    app = consumer(pg_pool, redis)
    first = await book(4, quantity=2)
    await settle(app, first)
    await redis.flushall()  # every key of every subsection gone (the scripts stay loaded)
    # The fail-fast check refuses nothing PostgreSQL has free: no counter, no taken bits.
    assert await RedisSeatInventory(redis).check(where.tag, [0]) == (None, [False])

    second, third = await book(3, quantity=2), await book(3)
    report = await settle(app, second)
    await settle(app, third)

    assert (report.allocated, report.failed) == (3, 0)
    assert await statuses(pg_pool, first + second + third) == ["pending_payment"] * 10
    await assert_agrees(pg_pool, redis, where)


async def test_a_restore_of_an_old_snapshot_heals(pg_pool, redis, sale):
    where, book = sale
    app = consumer(pg_pool, redis)
    await settle(app, await book(3, quantity=2))
    saved = {k: await redis.dump(k) for k in subsection_keys(where.tag)}
    await settle(app, await book(3, quantity=2))
    for key, value in saved.items():  # Kvrocks restarted from the older snapshot
        if value is not None:
            await redis.restore(key, 0, value, replace=True)

    later = await book(4)
    report = await settle(app, later)

    assert (report.allocated, report.failed) == (4, 0)
    await assert_agrees(pg_pool, redis, where)


async def test_a_rebuild_interleaved_with_consumer_batches_fails_no_booking(pg_pool, redis, sale):
    where, book = sale
    app, feed = consumer(pg_pool, redis), Feed()
    flow, settings = pipeline(app), load_settings()
    batches = [await book(2) for _ in range(6)]
    for i, batch in enumerate(batches):
        await flow.push(feed.records(batch))  # its record runs in the background...
        if i % 2 == 0:
            await rebuild(settings, where.event_id)  # ...while an operator rebuilds
    await flow.drain()

    assert await statuses(pg_pool, [c for b in batches for c in b]) == ["pending_payment"] * 12
    await assert_agrees(pg_pool, redis, where)


async def test_a_crash_between_script_and_commit_heals_on_redelivery(pg_pool, redis, sale):
    where, book = sale
    await settle(consumer(pg_pool, redis), await book(2))
    commands = await book(3, quantity=2)
    await consumer(pg_pool, redis).allocate(commands)  # the script ran; then the process died

    restarted, feed = consumer(pg_pool, redis), Feed()
    flow = pipeline(restarted)
    await flow.push(feed.records(commands))  # redelivered
    await flow.drain()

    assert await statuses(pg_pool, commands) == ["pending_payment"] * 3
    await assert_agrees(pg_pool, redis, where)


async def test_two_consumers_are_fenced_by_the_generation(pg_pool, redis, sale):
    where, book = sale
    old_owner, new_owner = consumer(pg_pool, redis), consumer(pg_pool, redis)
    await settle(old_owner, await book(1))
    commands = await book(3, quantity=2)
    in_flight = await old_owner.allocate(commands)  # then the group rebalanced

    await settle(new_owner, commands)  # redelivered to the new owner, which heals first
    with pytest.raises(StaleSeatMap):
        await old_owner.record(in_flight)

    assert await statuses(pg_pool, commands) == ["pending_payment"] * 3
    await assert_agrees(pg_pool, redis, where)


async def test_the_audit_rebuilds_a_stale_subsection_nobody_books(pg_pool, redis, sale):
    where, book = sale
    app, ours = consumer(pg_pool, redis), (lambda tag: tag == where.tag)
    sold = await book(ROWS * COLS // 2, quantity=2)
    await settle(app, sold)  # sold out
    saved = {k: await redis.dump(k) for k in subsection_keys(where.tag)}
    async with pg_pool.acquire() as conn:
        for command in sold[:3]:
            await cancel_in_postgres(conn, command.booking_id)
    await settle(app, [cancelled(c) for c in sold[:3]])  # six seats free again
    for key, value in saved.items():  # then Kvrocks restarts from the sold-out snapshot
        if value is not None:
            await redis.restore(key, 0, value, replace=True)
    inventory = RedisSeatInventory(redis)
    assert (await inventory.check(where.tag, []))[0] == 0  # the fail fast refuses everyone

    assert await app.audit(lambda tag: False) == []  # not this consumer's: left alone
    assert await app.audit(ours) == [SubsectionId(*where.id)]

    assert (await inventory.check(where.tag, []))[0] == 6
    await assert_agrees(pg_pool, redis, where)
    assert await app.audit(ours) == []
    await redis.delete(*subsection_keys(where.tag))  # flushed, and nobody books it
    assert await app.audit(ours) == [SubsectionId(*where.id)]
    await assert_agrees(pg_pool, redis, where)


async def test_the_generation_compare_and_set_loses_to_a_rebuild_between_read_and_write(
    pg_pool, redis, sale
):
    where, book = sale
    app = consumer(pg_pool, redis)
    (command,) = await book(1)
    allocated = await app.allocate([command])  # read seat_map_gen, ran the script
    await rebuild(load_settings(), where.event_id)  # the row changes before the write

    with pytest.raises(StaleSeatMap):
        await app.record(allocated)

    assert await statuses(pg_pool, [command]) == ["processing"]  # nothing written
    async with pg_pool.acquire() as conn:
        assert await conn.fetchval(
            "SELECT count(*) FROM tickets WHERE event_id = $1 AND status <> 'available'",
            where.event_id) == 0


async def test_a_release_only_batch_moves_the_generation_too(pg_pool, redis, sale):
    where, book = sale
    app = consumer(pg_pool, redis)
    (command,) = await book(1, quantity=2)
    await settle(app, [command])
    async with pg_pool.acquire() as conn:
        await cancel_in_postgres(conn, command.booking_id)
        before = await conn.fetchval("SELECT seat_map_gen FROM subsection_stats "
                                     "WHERE event_id = $1", where.event_id)

    await settle(app, [cancelled(command)])

    await assert_agrees(pg_pool, redis, where)
    assert int(await redis.get(gen_key(where.tag))) == before + 1


async def test_a_rebuild_that_loses_to_a_concurrent_batch_reads_again(pg_pool, redis, sale):
    where, book = sale
    await settle(consumer(pg_pool, redis), await book(1))
    ledger, ids = PostgresBookingLedger(pg_pool), [SubsectionId(*where.id)]
    before = (await ledger.generations(ids))[ids[0]]
    async with pg_pool.acquire() as conn:
        batch = conn.transaction()
        await batch.start()  # a batch's transaction holds the row when the rebuild starts
        await conn.execute("UPDATE subsection_stats SET seat_map_gen = seat_map_gen + 10 "
                           "WHERE event_id = $1", where.event_id)
        rebuilding = asyncio.create_task(ledger.rebuild(ids))
        await asyncio.sleep(0.3)
        assert not rebuilding.done()  # waiting for the row
        await batch.commit()  # the row changed after the rebuild's snapshot began

    (snapshot,) = await asyncio.wait_for(rebuilding, 10)

    assert snapshot.generation == before + 11  # read again, after the batch
