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
from deploy.loadtest.targets import Pool

MEAN_QUANTITY = 2.5  # of 1–4 seats
HEADROOM = 1.25
SEATS_PER_SUBSECTION = 500  # 25 rows × 20 seats
MAX_SUBSECTIONS = 400  # 200,000 seats: the largest event the API accepts
SUBSECTIONS_PER_SECTION = 10


@dataclass(frozen=True)
class Arrivals:
    """Arrival rate (bookings/s), duration (s), in-flight bound, drain deadline (s)."""

    rate: float
    duration: float
    max_inflight: int
    drain_s: float


def sections_needed(rate: float, duration: float, mean_quantity: float = MEAN_QUANTITY) -> int:
    """Sections of 10 subsections × 500 seats that hold the demand with 25% headroom."""
    seats = rate * duration * mean_quantity * HEADROOM
    subsections = min(MAX_SUBSECTIONS, max(1, math.ceil(seats / SEATS_PER_SUBSECTION)))
    return math.ceil(subsections / SUBSECTIONS_PER_SECTION)


async def sustained(
    api: Api, stage: Stage, pool: Pool, arrivals: Arrivals, rng: random.Random
) -> Recorder:
    """Fire bookings at `arrivals.rate` per second for `arrivals.duration` seconds, each at a
    random open subsection, then wait (bounded) for the ones in flight."""
    rec = Recorder()
    inflight: set[asyncio.Task] = set()

    async def one(i: int, target) -> None:
        token = stage.tokens[i % len(stage.tokens)]
        await fire(api, rec, pool, token, stage.event_id, target, pool.quantity(target, rng))

    total = pool.open_count
    rec.start()
    async with progress(status_line("sustained", rec, pool, total)):
        i = 0
        while i / arrivals.rate < arrivals.duration and pool.open_count:
            await asyncio.sleep(max(0.0, i / arrivals.rate - rec.now()))
            if len(inflight) >= arrivals.max_inflight:
                rec.dropped += 1
            else:
                task = asyncio.create_task(one(i, pool.pick(rng)))
                inflight.add(task)
                task.add_done_callback(inflight.discard)
            i += 1
        if inflight:
            await asyncio.wait(set(inflight), timeout=arrivals.drain_s)
    for task in inflight:
        task.cancel()
    return rec
