"""Sellout (spike) mode: closed-loop workers book as fast as the server answers until the
fail-fast check refuses every subsection, or a deadline or request budget runs out.

In the on-sale mode (`stage.opens_at`) the workers start as soon as the buyers are logged in;
a booking refused because sales have not started waits for the opening and is sent again,
and every time is measured from the opening (the flash-sale shape)."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

from deploy.loadtest.api import Api
from deploy.loadtest.fire import EARLY, fire, status_line
from deploy.loadtest.fixtures import Stage
from deploy.loadtest.progress import progress
from deploy.loadtest.recorder import ACCEPTED, Recorder
from deploy.loadtest.targets import Pool

ERROR_BACKOFF_S = 0.05


@dataclass(frozen=True)
class SpikeLimits:
    """Bounds of the spike: requests in flight, seconds, requests in all."""

    concurrency: int
    max_seconds: float
    max_requests: int


async def sellout(
    api: Api, stage: Stage, pool: Pool, limits: SpikeLimits, rng: random.Random,
    label: str = "sellout",
) -> Recorder:
    """Run the spike; returns what the client saw. Stops by itself (sold out or bounds)."""
    rec = Recorder()
    budget = {"left": limits.max_requests}
    tokens = stage.tokens

    async def worker(w: int) -> None:
        turn = w
        while budget["left"] > 0 and rec.now() < limits.max_seconds:
            target = pool.next()
            if target is None:
                return
            budget["left"] -= 1
            token = tokens[turn % len(tokens)]
            turn += limits.concurrency
            quantity = pool.quantity(target, rng)
            status = await fire(api, rec, pool, token, target, quantity)
            if status == EARLY:
                budget["left"] += 1  # not spent: the same buyer tries again at the opening
                await until_open(stage.opens_at)
            elif status != ACCEPTED and (status == 0 or status >= 500):
                await asyncio.sleep(ERROR_BACKOFF_S)

    total = pool.open_count
    rec.start(stage.opens_at)
    async with progress(status_line(label, rec, pool, total)):
        await asyncio.gather(*(worker(w) for w in range(limits.concurrency)))
    return rec


async def until_open(opens_at: float | None) -> None:
    """Sleep until the wall-clock moment `opens_at` (at once if it passed or is None)."""
    if opens_at is not None:
        await asyncio.sleep(max(0.0, opens_at - time.time()))
