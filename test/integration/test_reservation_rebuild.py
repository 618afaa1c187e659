"""Guarantee 7 (spec/architecture.md): wipe a subsection's keys, rebuild them from PostgreSQL,
get the same state."""

from src.service.contract import alloc_key, avail_key
from src.service.reservation.adapters.kvrocks import RedisSeatMap, RedisStatusPublisher
from src.service.reservation.adapters.postgres import PostgresBookingLedger
from src.service.reservation.application.ports import Subsection
from src.service.reservation.bootstrap import build
from src.service.reservation.entrypoints.rebuild import rebuild
from src.service.reservation.settings import load_settings
from test.integration.factories import insert_event, insert_user
from test.integration.test_reservation_seat_map import bits, clear
from test.reservation_fakes import cancelled, created, settle
from test.reservation_flow import RecordingDeadLetters


async def insert_bookings(conn, *commands) -> None:
    await conn.executemany(
        "INSERT INTO bookings (id, buyer_id, event_id, section, subsection, quantity, "
        "seat_selection_mode) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [(c.booking_id, c.buyer_id, c.event_id, c.section, c.subsection, c.quantity,
          c.seat_selection_mode) for c in commands],
    )


async def cancel_in_postgres(conn, booking_id) -> None:
    """What the ticketing service does on cancel: booking cancelled, its tickets available."""
    n = await conn.fetchval(
        "WITH t AS (UPDATE tickets SET status = 'available', booking_id = NULL "
        "WHERE booking_id = $1 RETURNING 1) SELECT count(*) FROM t", booking_id,
    )
    await conn.execute("UPDATE bookings SET status = 'cancelled' WHERE id = $1", booking_id)
    await conn.execute(
        "UPDATE subsection_stats s SET available = available + $2, reserved = reserved - $2 "
        "FROM bookings b WHERE b.id = $1 AND s.event_id = b.event_id AND s.section = b.section "
        "AND s.subsection = b.subsection", booking_id, n,
    )


async def seat_state(redis, where: Subsection):
    return (
        await bits(redis, where),
        await redis.get(avail_key(where.tag)),
        await redis.hgetall(alloc_key(where.tag)),
    )


async def test_rebuild_restores_bits_counters_and_allocations(redis, pg_pool):
    async with pg_pool.acquire() as conn:
        seller, buyer = await insert_user(conn, "seller"), await insert_user(conn)
        event_id = await insert_event(conn, seller, rows=2, cols=3, sections=(("A", 1000, 2),))
    subs = [Subsection(event_id, "A", n, 2, 3) for n in (1, 2)]
    await clear(redis, *[s.tag for s in subs])  # no command has reached them yet
    a1, a2, a3 = (created(event_id, quantity=2, buyer_id=buyer),
                  created(event_id, positions=["2-3"], buyer_id=buyer),
                  created(event_id, quantity=2, buyer_id=buyer))
    b1 = created(event_id, subsection=2, quantity=3, buyer_id=buyer)
    async with pg_pool.acquire() as conn:
        await insert_bookings(conn, a1, a2, a3, b1)
    app = build(RedisSeatMap(redis), PostgresBookingLedger(pg_pool), RedisStatusPublisher(redis),
                RecordingDeadLetters())
    await settle(app, [a1, a2, a3, b1])
    async with pg_pool.acquire() as conn:
        await cancel_in_postgres(conn, a1.booking_id)
        await conn.execute(
            "UPDATE tickets SET status = 'sold' WHERE booking_id = $1", a3.booking_id
        )
    await settle(app, [cancelled(a1)])
    before = [await seat_state(redis, s) for s in subs]
    assert before[0][0] == [0, 0, 0, 1, 1, 1] and before[0][1] == b"3"

    await clear(redis, *[s.tag for s in subs])
    assert await rebuild(load_settings(), event_id) == 2

    assert [await seat_state(redis, s) for s in subs] == before
