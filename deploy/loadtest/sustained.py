"""Sustained mode: an open model at a fixed arrival rate for a fixed duration; requests that
would exceed the in-flight bound are dropped and counted (like k6's dropped_iterations)."""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass

from deploy.loadtest.api import Api
from deploy.loadtest.fire import fire, status_line
from deploy.loadtest.fixtures import Stage
from deploy.loadtest.progress import progress
from deploy.loadtest.recorder import Recorder
from deploy.loadtest.targets import MAX_SEATS, Pool, Target

MEAN_QUANTITY = 2.5  # of 1–4 seats
HEADROOM = 1.25
SEATS_PER_SUBSECTION = 500  # 25 rows × 20 seats
SUBSECTIONS_PER_SECTION = 10


@dataclass(frozen=True)
class Arrivals:
    """Arrival rate (bookings/s), duration (s), in-flight bound, drain deadline (s)."""

    rate: float
    duration: float
    max_inflight: int
    drain_s: float


def sections_needed(rate: float, duration: float, mean_quantity: float = MEAN_QUANTITY) -> int:
    """Sections of 10 subsections × 500 seats that hold the demand with 25% headroom, over as
    many events as it takes (see `events_needed`)."""
    seats = rate * duration * mean_quantity * HEADROOM
    subsections = max(1, math.ceil(seats / SEATS_PER_SUBSECTION))
    return math.ceil(subsections / SUBSECTIONS_PER_SECTION)


def events_needed(sections: int, section_seats: int) -> tuple[int, int]:
    """(events, sections per event): the fewest events, of equal size and at most the API's
    200,000 seats each, that hold `sections` sections of `section_seats` seats."""
    per_event = max(1, MAX_SEATS // section_seats)
    events = math.ceil(sections / per_event)
    return events, math.ceil(sections / events)


async def sustained(
    api: Api, stage: Stage, pool: Pool, arrivals: Arrivals, rng: random.Random
) -> Recorder:
    """Fire bookings at `arrivals.rate`/s for `arrivals.duration` s, each at a random open
    subsection (of any event) until none is left, then wait (bounded) for those in flight."""
    rec = Recorder()
    inflight: set[asyncio.Task] = set()

    async def one(i: int, target: Target) -> None:
        token = stage.tokens[i % len(stage.tokens)]
        await fire(api, rec, pool, token, target, pool.quantity(target, rng))

    rec.start()
    async with progress(status_line("sustained", rec, pool, pool.open_count)):
        for i in range(math.ceil(arrivals.rate * arrivals.duration)):
            await asyncio.sleep(max(0.0, i / arrivals.rate - rec.now()))
            target = pool.pick(rng)  # after the sleep: answers meanwhile may have closed all
            if target is None:
                break
            if len(inflight) >= arrivals.max_inflight:
                rec.dropped += 1
                continue
            task = asyncio.create_task(one(i, target))
            inflight.add(task)
            task.add_done_callback(inflight.discard)
        if inflight:
            await asyncio.wait(set(inflight), timeout=arrivals.drain_s)
    for task in inflight:
        task.cancel()
    return rec
