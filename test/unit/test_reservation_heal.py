"""The self-healing seat map with fakes (spec/architecture.md, guarantee 7): a stale map is
found by its generation, healed from PostgreSQL, and no booking fails because of it."""

import re
from pathlib import Path

from src.service.contract import subsection_tag
from src.service.lifecycle import BookingStatus
from src.service.reservation.application.generations import Generations
from src.service.reservation.application.ports import GenerationStep, StaleSeatMap, SubsectionId
from src.service.reservation.bootstrap import build
from src.service.reservation.domain import reasons
from src.service.reservation.domain.reasons import FAILURE_REASONS, SEAT_MAP_REASONS
from test.reservation_fakes import (
    FakeBookingLedger,
    FakeSeatMap,
    cancelled,
    created,
    settle,
)
from test.reservation_flow import Feed, RecordingDeadLetters, RecordingPublisher, pipeline

TAG, WHERE = subsection_tag(1, "A", 1), SubsectionId(1, "A", 1)
PENDING, FAILED = BookingStatus.PENDING_PAYMENT, BookingStatus.FAILED
SERVICE = Path(__file__).resolve().parents[2] / "src" / "service" / "reservation"


def world(seat_map=None, ledger=None):
    seat_map, ledger = seat_map or FakeSeatMap(), ledger or FakeBookingLedger()
    return seat_map, ledger, build(seat_map, ledger, RecordingPublisher(), RecordingDeadLetters())


def booked(ledger, count: int, quantity: int = 1, **shape):
    commands = [created(quantity=quantity, **shape) for _ in range(count)]
    for command in commands:
        ledger.add(command)
    return commands


def agrees(seat_map: FakeSeatMap, ledger: FakeBookingLedger) -> bool:
    """The seat map holds exactly what PostgreSQL holds, at PostgreSQL's generation."""
    truth = ledger.snapshot(WHERE)
    held = sorted(i for seats in truth.holdings.values() for i in seats)
    mine = {b: s for b, s in seat_map.alloc[TAG].items() if s}
    return (seat_map.held(TAG), mine, seat_map.gens.get(TAG, 0)) == (
        held, truth.holdings, ledger.gens[WHERE])


async def test_a_batch_moves_both_generations_by_its_calls():
    seat_map, ledger, app = world()
    first, second = booked(ledger, 2)
    ledger.add(first, BookingStatus.CANCELLED)  # the ticketing service cancels, then sends

    await settle(app, [first, cancelled(first), second])  # three calls on one subsection

    assert (seat_map.gens[TAG], ledger.gens[WHERE]) == (3, 3)
    assert agrees(seat_map, ledger)


async def test_a_flushed_seat_map_heals_and_no_booking_fails():
    seat_map, ledger, app = world()
    before = booked(ledger, 3)
    await settle(app, before)
    seat_map.flush()

    after = booked(ledger, 3)
    report = await settle(app, after)

    assert (report.allocated, report.failed) == (3, 0)
    assert agrees(seat_map, ledger)
    assert sorted(seat_map.held(TAG)) == [0, 1, 2, 3, 4, 5]


async def test_an_old_snapshot_of_the_seat_map_heals():
    seat_map, ledger, app = world()
    await settle(app, booked(ledger, 2))
    old = (dict(seat_map.taken), {t: dict(a) for t, a in seat_map.alloc.items()},
           dict(seat_map.gens))
    await settle(app, booked(ledger, 2))
    seat_map.taken, seat_map.gens = {t: list(b) for t, b in old[0].items()}, old[2]
    seat_map.alloc.clear()
    seat_map.alloc.update(old[1])  # restarted from the old snapshot: seats 3 and 4 look free

    report = await settle(app, booked(ledger, 2))

    assert (report.allocated, report.failed) == (2, 0)
    assert agrees(seat_map, ledger)
    assert seat_map.held(TAG) == [0, 1, 2, 3, 4, 5]


async def test_a_crash_between_script_and_commit_heals_on_redelivery():
    seat_map, ledger = FakeSeatMap(), FakeBookingLedger()
    commands = booked(ledger, 2)
    *_, crashed = world(seat_map, ledger)
    await crashed.allocate(commands)  # the script ran; the process died before recording

    *_, restarted = world(seat_map, ledger)
    report = await settle(restarted, commands)

    assert (report.allocated, report.failed) == (2, 0)
    assert agrees(seat_map, ledger)


async def test_a_rebuild_between_allocate_and_record_fences_the_batch_and_it_settles():
    seat_map, ledger, app = world()
    await settle(app, booked(ledger, 1))
    commands = booked(ledger, 2)
    flow, feed = pipeline(app), Feed()
    *_, operator = world(seat_map, ledger)

    allocated = await app.allocate(commands)
    await operator.heal.rebuild([WHERE])  # the rebuild entrypoint, while the consumer runs
    try:
        await app.record(allocated)
        raise AssertionError("the record should have been fenced")
    except StaleSeatMap:
        pass
    await flow.push(feed.records(commands))  # redelivered: the careful path heals
    await flow.drain()

    assert [ledger.bookings[c.booking_id].status for c in commands] == [PENDING, PENDING]
    assert agrees(seat_map, ledger)


async def test_two_consumers_are_fenced_by_the_generation():
    seat_map, ledger = FakeSeatMap(), FakeBookingLedger()
    commands = booked(ledger, 2, quantity=3)
    *_, old_owner = world(seat_map, ledger)
    *_, new_owner = world(seat_map, ledger)
    in_flight = await old_owner.allocate(commands)  # then the group rebalanced

    await settle(new_owner, commands)
    try:
        await old_owner.record(in_flight)
        raise AssertionError("the old owner's record should have been fenced")
    except StaleSeatMap:
        pass

    assert ledger.transactions == 1  # the new owner's record; the old owner wrote nothing
    assert all(ledger.bookings[c.booking_id].status == PENDING for c in commands)
    assert agrees(seat_map, ledger)


class GatedLedger(FakeBookingLedger):
    """Settles wait for `gate`; keeps the order of settles and rebuilds."""

    def __init__(self) -> None:
        super().__init__()
        self.gate, self.log = None, []

    async def settle(self, settlements, steps=()):
        if self.gate is not None:
            await self.gate.wait()
        self.log.append("settle")
        return await super().settle(settlements, steps)

    async def rebuild(self, ids):
        self.log.append("rebuild")
        return await super().rebuild(ids)


async def test_a_stale_batch_heals_only_once_the_batch_in_flight_is_recorded():
    import asyncio

    seat_map, ledger = FakeSeatMap(), GatedLedger()
    *_, app = world(seat_map, ledger)
    first, second = booked(ledger, 2, quantity=2), booked(ledger, 1, quantity=2)
    flow, feed = pipeline(app), Feed()
    ledger.gate = asyncio.Event()
    await flow.push(feed.records(first))  # recorded in the background, held at the gate
    seat_map.flush()

    pushing = asyncio.create_task(flow.push(feed.records(second)))
    for _ in range(20):
        await asyncio.sleep(0)
    assert ledger.log == []  # found stale, but waits: a rebuild now would lose `first`
    ledger.gate.set()
    await pushing
    await flow.drain()

    assert ledger.log[:2] == ["settle", "rebuild"]
    assert all(ledger.bookings[c.booking_id].status == PENDING for c in first + second)
    assert agrees(seat_map, ledger)


async def test_the_audit_rebuilds_a_flushed_subsection_nobody_books():
    seat_map, ledger, app = world()
    await settle(app, booked(ledger, 2))
    seat_map.flush()

    assert await app.audit(lambda tag: False) == []  # not ours: left to its owner
    assert seat_map.held(TAG) == []
    assert await app.audit(lambda tag: True) == [WHERE]

    assert agrees(seat_map, ledger)
    assert await app.audit(lambda tag: True) == []  # healthy now


async def test_the_audit_rebuilds_a_counter_claiming_more_free_seats_than_postgres():
    seat_map, ledger, app = world()
    await settle(app, booked(ledger, 2))
    seat_map.taken[TAG][0] = 0  # same generation, but a seat PostgreSQL holds looks free

    assert await app.audit(lambda tag: True) == [WHERE]
    assert agrees(seat_map, ledger)


async def test_a_subsection_postgres_does_not_know_is_not_checked():
    seat_map, ledger, app = world()
    stray = created(quantity=1)  # no booking, no subsection row: nothing to hold the map to

    report = await settle(app, [stray])

    assert report.allocated == 0
    assert TAG not in seat_map.gens  # unchecked calls leave no generation behind


def test_generations_record_only_from_the_base_they_expect():
    gens = Generations()
    gens.learn([WHERE], {WHERE: 4})
    gens.advance(WHERE)
    gens.advance(WHERE)
    (step,) = gens.steps({WHERE: gens.expect(WHERE)})
    assert step == GenerationStep(WHERE, 4, 6)

    gens.learn([WHERE], {WHERE: 9})  # healed meanwhile: the old step no longer applies
    gens.recorded([step])
    assert gens.steps({WHERE: 9}) == [GenerationStep(WHERE, 9, 9)]


def test_the_lua_reasons_are_the_domain_reasons_and_every_reason_is_for_a_buyer():
    lua = (SERVICE / "adapters" / "allocate.lua").read_text()
    code = "\n".join(line.split("--")[0] for line in lua.splitlines())
    assert set(re.findall(r"'([A-Z][a-z ]+)'", code)) == SEAT_MAP_REASONS
    assert SEAT_MAP_REASONS < FAILURE_REASONS
    assert reasons.NOT_PROCESSED in FAILURE_REASONS - SEAT_MAP_REASONS
    assert all(r[0].isupper() and ":" not in r for r in FAILURE_REASONS)


async def test_a_settlement_never_stores_a_reason_off_the_list():
    from src.service.reservation.application.batches import settlement
    from src.service.reservation.domain.allocation import Allocation, AllocationStatus

    command = created()
    odd = Allocation(command.booking_id, AllocationStatus.REFUSED, reason="KeyError: 'x'")

    assert settlement(command, odd).failure_reason == reasons.NOT_PROCESSED
