"""Sustained mode of the load tool: sizing over several events, a pool spanning them, and a
run that sells everything out before its duration ends (with a fake API, no I/O)."""

import gc
import logging
import random
from collections import Counter

from deploy.loadtest.cli import parser
from deploy.loadtest.fixtures import Stage
from deploy.loadtest.main import seating
from deploy.loadtest.recorder import ACCEPTED
from deploy.loadtest.sustained import Arrivals, events_needed, sections_needed, sustained
from deploy.loadtest.targets import MAX_SEATS, SOLD_OUT, Pool, layout, seats_of, targets_of


class FakeApi:
    """Answers bookings like the fail-fast check: 202 while `seats` are left in the
    subsection, 400 'Insufficient seats available' after; records every event booked."""

    def __init__(self, seats: int):
        self.left: Counter = Counter()
        self.seats = seats
        self.events: Counter = Counter()

    async def book(self, token, event_id, section, subsection, quantity):
        self.events[event_id] += 1
        key = (event_id, section, subsection)
        if self.seats - self.left[key] < quantity:
            return 400, {"detail": SOLD_OUT}
        self.left[key] += quantity
        return ACCEPTED, {"id": f"b{sum(self.left.values())}"}


def test_sections_needed_is_no_longer_capped_at_one_event():
    assert sections_needed(2000, 60) == 75  # 375,000 seats with the 25% headroom
    assert sections_needed(1, 1) == 1


def test_events_needed_splits_evenly_within_the_api_limit():
    assert events_needed(1, 5_000) == (1, 1)
    assert events_needed(40, 5_000) == (1, 40)
    assert events_needed(41, 5_000) == (2, 21)
    assert events_needed(75, 5_000) == (2, 38)
    assert events_needed(20, 25_000) == (3, 7)
    assert events_needed(3, 300_000) == (3, 1)  # a section over the limit: the API says no


def test_default_sustained_run_gets_enough_events_for_its_demand():
    config, events = seating(parser().parse_args(["sustained"]))
    assert events == 2
    assert seats_of(config) <= MAX_SEATS
    assert seats_of(config) * events >= 2000 * 60 * 2.5 * 1.25
    assert {s["subsections"] for s in config["sections"]} == {10}
    small, one = seating(parser().parse_args(["sustained", "--rate", "100", "--duration", "10"]))
    assert (one, seats_of(small)) == (1, 5_000)


def test_sellout_keeps_one_event_of_the_asked_layout():
    assert seating(parser().parse_args(["sellout"])) == (layout(10, 2, 25, 20), 1)


def test_pool_spreads_picks_over_the_subsections_of_every_event():
    pool = Pool(targets_of([7, 8], layout(2, 2, 25, 20)), 1, 4)
    assert pool.open_count == 8
    rng = random.Random(3)
    picks = Counter((t.event_id, t.section, t.subsection) for t in
                    (pool.pick(rng) for _ in range(800)))
    assert len(picks) == 8 and min(picks.values()) > 60
    for _ in range(200):  # close event 7's subsections, as answers would
        target = pool.pick(rng)
        if target.event_id == 7:
            pool.refused(target, 1)
    assert pool.open_count == 4
    assert {pool.pick(rng).event_id for _ in range(50)} == {8}


def test_a_fully_closed_pool_offers_nothing():
    pool = Pool(targets_of([7, 8], layout(1, 1, 25, 20)), 2, 4)
    pool.refused(pool.next(), 2)
    pool.close_all()
    assert pool.open_count == 0
    assert pool.pick(random.Random(1)) is None and pool.next() is None


async def test_sustained_run_against_a_closed_pool_sends_nothing():
    pool = Pool(targets_of([7], layout(1, 1, 25, 20)), 1, 4)
    pool.close_all()
    stage = Stage([7], layout(1, 1, 25, 20), ["token"])
    rec = await sustained(FakeApi(4), stage, pool, Arrivals(1000, 1.0, 10, 1.0), random.Random(1))
    assert rec.samples == [] and rec.dropped == 0


async def test_sustained_run_stops_cleanly_when_every_event_sells_out(caplog):
    config = layout(1, 2, 1, 3)
    api, pool = FakeApi(3), Pool(targets_of([7, 8], config), 1, 1)
    stage = Stage([7, 8], config, ["a", "b"])
    arrivals = Arrivals(rate=2000, duration=5.0, max_inflight=100, drain_s=1.0)
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        rec = await sustained(api, stage, pool, arrivals, random.Random(5))
        gc.collect()  # a task that raised reports it when collected
    assert pool.open_count == 0
    assert rec.accepted == 12 and rec.rejected == 4  # 4 subsections × 3 seats, then a no each
    assert len(rec.samples) == sum(api.events.values()) < 2000 * 5
    assert set(api.events) == {7, 8}
    assert not [r for r in caplog.records if "exception" in r.getMessage().lower()]
