"""The seat-map Lua scripts on a real redis-server: selection vectors, idempotency, release,
and seat maps created lazily by the first command (spec/architecture.md, "Ownership")."""

import random
import uuid

import pytest

from src.service.contract import alloc_key, avail_key, cursor_key, seats_key
from src.service.reservation.adapters.kvrocks import RedisSeatMap, subsection_keys
from src.service.reservation.application.allocate_batch import position_index
from src.service.reservation.application.ports import Subsection
from src.service.reservation.domain.allocation import AllocationStatus, SeatRequest
from src.service.seats import SeatPosition
from test.seat_selection_model import best_available
from test.seat_vectors import BEST_AVAILABLE, MANUAL, shape, taken_bits, vector_ids

ALLOCATED, REPLAYED = AllocationStatus.ALLOCATED, AllocationStatus.REPLAYED
REFUSED, RELEASED = AllocationStatus.REFUSED, AllocationStatus.RELEASED


def fresh(rows: int, cols: int) -> Subsection:
    """A subsection whose keys no other test uses."""
    return Subsection(random.randrange(10**8, 10**9), "V", 1, rows, cols)


async def bits(redis, where: Subsection) -> list[int]:
    """The seat bits of a subsection, read with BITFIELD GET u1 only."""
    op = redis.bitfield(seats_key(where.tag))
    for i in range(where.rows * where.cols):
        op.get("u1", f"#{i}")
    return await op.execute()


async def clear(redis, *tags: str) -> None:
    """Delete every seat-map key of the subsections: as if no command had reached them."""
    await redis.delete(*[key for tag in tags for key in subsection_keys(tag)])


async def occupy(redis, where: Subsection, taken: list[int]) -> None:
    op = redis.bitfield(seats_key(where.tag))
    for i, bit in enumerate(taken):
        if bit:
            op.set("u1", f"#{i}", 1)
    await op.execute()


def ask(quantity: int = 0, seats: tuple[int, ...] = ()) -> SeatRequest:
    mode = "manual" if seats else "best_available"
    return SeatRequest(uuid.uuid4(), mode, quantity or len(seats), seats)


@pytest.mark.parametrize(
    ("layout", "quantity", "expected"), BEST_AVAILABLE, ids=vector_ids(BEST_AVAILABLE)
)
async def test_lua_best_available_matches_the_vectors(redis, layout, quantity, expected):
    where = fresh(*shape(layout))
    await occupy(redis, where, taken_bits(layout))

    group = await RedisSeatMap(redis).allocate(where, [ask(quantity)])

    (allocation,) = group.allocations
    if expected is None:
        assert allocation.status == REFUSED
        assert await bits(redis, where) == taken_bits(layout)
    else:
        assert allocation.status == ALLOCATED
        assert [str(SeatPosition.at(i, where.cols)) for i in allocation.seats] == expected


@pytest.mark.parametrize(("layout", "positions", "expected"), MANUAL, ids=vector_ids(MANUAL))
async def test_lua_manual_matches_the_vectors(redis, layout, positions, expected):
    where = fresh(*shape(layout))
    await occupy(redis, where, taken_bits(layout))
    seats = tuple(position_index(p, where.rows, where.cols) for p in positions)

    (allocation,) = (await RedisSeatMap(redis).allocate(where, [ask(seats=seats)])).allocations

    assert (allocation.status == ALLOCATED) is expected


async def test_a_group_allocates_in_order_and_counts_down(redis):
    where = fresh(2, 3)
    first, second, third = ask(2), ask(seats=(5,)), ask(4)

    group = await RedisSeatMap(redis).allocate(where, [first, second, third])

    assert [(a.status, a.seats) for a in group.allocations] == [
        (ALLOCATED, (0, 1)), (ALLOCATED, (5,)), (REFUSED, ())
    ]
    assert group.allocations[2].reason == "Not enough seats available"
    assert group.available == 3
    assert int(await redis.get(avail_key(where.tag))) == 3


async def test_redelivery_returns_the_recorded_allocation(redis):
    where, seat_map, request = fresh(2, 3), RedisSeatMap(redis), ask(2)
    await seat_map.allocate(where, [request])

    group = await seat_map.allocate(where, [request])

    assert [(a.status, a.seats) for a in group.allocations] == [(REPLAYED, (0, 1))]
    assert await bits(redis, where) == [1, 1, 0, 0, 0, 0]
    assert group.available == 4


async def test_release_clears_only_owned_bits_and_is_idempotent(redis):
    where, seat_map = fresh(1, 6), RedisSeatMap(redis)
    mine, other = ask(seats=(1, 2)), ask(seats=(4,))
    await occupy(redis, where, [1, 0, 0, 0, 0, 0])  # a seat nobody in the alloc hash owns
    await seat_map.allocate(where, [mine, other])

    assert await seat_map.release(where.tag, [mine.booking_id]) == 2
    assert await seat_map.release(where.tag, [mine.booking_id]) == 0

    assert await bits(redis, where) == [1, 0, 0, 0, 1, 0]
    assert int(await redis.get(avail_key(where.tag))) == 4
    assert await redis.hget(alloc_key(where.tag), str(mine.booking_id)) == b""


async def test_a_tombstone_blocks_a_late_allocation(redis):
    where, seat_map, late = fresh(1, 4), RedisSeatMap(redis), ask(2)
    await seat_map.release(where.tag, [late.booking_id])  # cancelled before it was allocated

    (allocation,) = (await seat_map.allocate(where, [late])).allocations

    assert (allocation.status, allocation.reason) == (RELEASED, "Booking was cancelled")
    assert await bits(redis, where) == [0, 0, 0, 0]


async def test_a_large_subsection_is_read_in_chunks(redis):
    where = fresh(60, 60)  # 3,600 bits: several BITFIELD GET chunks
    taken = [1] * (where.rows * where.cols)
    taken[-1] = taken[-2] = 0
    await occupy(redis, where, taken)

    (allocation,) = (await RedisSeatMap(redis).allocate(where, [ask(2)])).allocations

    assert allocation.seats == (3598, 3599)


async def test_lua_agrees_with_the_python_rules_over_a_random_sale_with_cancellations(redis):
    """Differential check of the lazy row reading and the row cursor: groups of bookings and
    releases in random order must pick exactly the seats the reference rules pick."""
    rng = random.Random(20261121)
    where = fresh(6, 7)
    seat_map = RedisSeatMap(redis)
    taken = [0] * (where.rows * where.cols)
    holdings: dict[uuid.UUID, tuple[int, ...]] = {}
    for _ in range(120):
        if holdings and rng.random() < 0.3:
            victim = rng.choice(sorted(holdings))
            await seat_map.release(where.tag, [victim])
            for i in holdings.pop(victim):
                taken[i] = 0
            continue
        group = [ask(rng.randint(1, 4)) for _ in range(rng.randint(1, 3))]
        answer = await seat_map.allocate(where, group)
        for request, allocation in zip(group, answer.allocations, strict=True):
            expected = best_available(taken, where.rows, where.cols, request.quantity)
            assert allocation.seats == tuple(expected or ())
            for i in expected or ():
                taken[i] = 1
            if expected:
                holdings[request.booking_id] = tuple(expected)
        assert answer.available == taken.count(0)
    assert await bits(redis, where) == taken


async def test_allocate_many_answers_each_subsection_even_after_a_script_flush(redis):
    first, second = fresh(1, 4), fresh(1, 4)
    await occupy(redis, second, [1, 1, 1, 0])
    await redis.script_flush()  # the server forgets the script: NOSCRIPT, then SCRIPT LOAD

    groups = await RedisSeatMap(redis).allocate_many([(first, [ask(2)]), (second, [ask(2)])])

    assert [a.status for g in groups for a in g.allocations] == [ALLOCATED, REFUSED]
    assert [g.available for g in groups] == [2, 1]
    assert await bits(redis, first) == [1, 1, 0, 0]
    assert await bits(redis, second) == [1, 1, 1, 0]


async def test_allocate_on_a_subsection_without_any_key_creates_a_right_seat_map(redis):
    where, seat_map = fresh(2, 4), RedisSeatMap(redis)
    await clear(redis, where.tag)
    pair, manual, four = ask(2), ask(seats=(5, 6)), ask(4)

    group = await seat_map.allocate(where, [pair, manual, four])

    assert [(a.status, a.seats) for a in group.allocations] == [
        (ALLOCATED, (0, 1)), (ALLOCATED, (5, 6)), (ALLOCATED, (2, 3, 4, 7))
    ]
    assert group.available == 0
    assert int(await redis.get(avail_key(where.tag))) == 0
    assert await bits(redis, where) == [1] * 8
    assert await redis.hget(alloc_key(where.tag), str(manual.booking_id)) == b"5,6"


async def test_allocate_recounts_a_missing_counter_from_the_bits(redis):
    where = fresh(2, 3)
    await clear(redis, where.tag)
    await occupy(redis, where, [1, 0, 1, 0, 0, 0])  # bits without a counter

    group = await RedisSeatMap(redis).allocate(where, [ask(1)])

    assert [(a.status, a.seats) for a in group.allocations] == [(ALLOCATED, (1,))]
    assert group.available == 3
    assert int(await redis.get(avail_key(where.tag))) == 3


async def test_release_without_a_counter_leaves_it_missing_and_the_state_right(redis):
    where, seat_map = fresh(2, 3), RedisSeatMap(redis)
    await clear(redis, where.tag)
    mine, other = ask(2), ask(1)
    await seat_map.allocate(where, [mine, other])
    await redis.delete(avail_key(where.tag))  # e.g. evicted, or a map from before the counter

    assert await seat_map.release(where.tag, [mine.booking_id]) == 2

    assert await redis.exists(avail_key(where.tag)) == 0  # no counter made up from the freed 2
    assert await redis.exists(cursor_key(where.tag)) == 0
    assert await bits(redis, where) == [0, 0, 1, 0, 0, 0]
    assert await redis.hget(alloc_key(where.tag), str(mine.booking_id)) == b""
    group = await seat_map.allocate(where, [ask(3)])  # the next allocation recounts: 5 free
    assert [(a.status, a.seats) for a in group.allocations] == [(ALLOCATED, (3, 4, 5))]
    assert group.available == 2
    assert int(await redis.get(avail_key(where.tag))) == 2


async def test_release_on_a_subsection_without_any_key_only_leaves_tombstones(redis):
    where, seat_map, late = fresh(1, 4), RedisSeatMap(redis), ask(1)
    await clear(redis, where.tag)

    assert await seat_map.release(where.tag, [late.booking_id]) == 0

    assert await redis.exists(avail_key(where.tag), seats_key(where.tag)) == 0
    assert await redis.hgetall(alloc_key(where.tag)) == {str(late.booking_id).encode(): b""}
