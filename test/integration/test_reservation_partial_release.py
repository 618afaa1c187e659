"""release.lua's partial release on a real redis-server, alone and through a batch: only the
named bits go, the booking keeps its others, a replay frees nothing (spec/tickets.md,
rule 15)."""

from src.service.contract import alloc_key, avail_key
from src.service.reservation.adapters.kvrocks import RedisSeatMap
from src.service.reservation.application.allocate_batch import AllocateBatch
from src.service.reservation.application.generations import Generations
from src.service.reservation.domain.allocation import AllocationStatus
from test.integration.test_reservation_seat_map import ask, bits, fresh
from test.reservation_fakes import FakeBookingLedger, cancelled, created


async def test_a_partial_release_frees_only_the_named_bits_and_keeps_the_rest(redis):
    where, seat_map = fresh(1, 5), RedisSeatMap(redis)
    mine, other = ask(seats=(0, 1, 2)), ask(seats=(4,))
    await seat_map.allocate(where, [mine, other])
    assert int(await redis.get(avail_key(where.tag))) == 1

    assert await seat_map.release(where.tag, [mine.booking_id], only=[(1,)]) == 1
    assert await seat_map.release(where.tag, [mine.booking_id], only=[(1,)]) == 0  # replayed
    assert await seat_map.release(where.tag, [other.booking_id], only=[(0,)]) == 0  # not its bit

    assert await bits(redis, where) == [1, 0, 1, 0, 1]
    assert await redis.hget(alloc_key(where.tag), str(mine.booking_id)) == b"0,2"
    assert int(await redis.get(avail_key(where.tag))) == 2
    (replay,) = (await seat_map.allocate(where, [mine])).allocations
    assert (replay.status, replay.seats) == (AllocationStatus.REPLAYED, (0, 2))


async def test_releasing_the_last_kept_bits_leaves_the_tombstone(redis):
    where, seat_map = fresh(1, 4), RedisSeatMap(redis)
    mine = ask(seats=(2, 3))
    await seat_map.allocate(where, [mine])
    assert await seat_map.release(where.tag, [mine.booking_id], only=[(3, 2)]) == 2
    assert await redis.hget(alloc_key(where.tag), str(mine.booking_id)) == b""
    (late,) = (await seat_map.allocate(where, [mine])).allocations
    assert late.status == AllocationStatus.RELEASED
    unknown = ask(seats=(0,))  # a partial release of a booking never allocated: nothing
    assert await seat_map.release(where.tag, [unknown.booking_id], only=[(0,)]) == 0
    assert await redis.hexists(alloc_key(where.tag), str(unknown.booking_id)) == 0


async def test_a_batch_mixing_full_and_partial_releases_frees_exactly_theirs(redis):
    seat_map = RedisSeatMap(redis)
    allocate = AllocateBatch(seat_map, FakeBookingLedger(), Generations())
    refunded = created(event_id=fresh(1, 1).event_id, positions=["1-1", "1-2", "2-1"])
    kept = created(event_id=refunded.event_id, positions=["2-3"])
    gone = created(event_id=refunded.event_id, positions=["2-2"])
    await allocate([refunded, kept, gone])
    await allocate([cancelled(refunded, ["1-2", "2-1"]), cancelled(gone)])
    alloc = await redis.hgetall(alloc_key(f"{refunded.event_id}:A:1"))
    assert {k.decode(): v for k, v in alloc.items()} == {
        str(refunded.booking_id): b"0", str(kept.booking_id): b"5", str(gone.booking_id): b""}
