"""The suite's load: open-model arrivals at a fixed rate (as `deploy.loadtest sustained`),
1–4 seats best available at a random subsection, each booking with an `Idempotency-Key` of its
own and retried with that key (`deploy/loadtest/retry.py`). Every attempt is kept, because the
checks judge attempts (5xx bodies, Retry-After) as well as bookings (a retry answered with
another booking id)."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from deploy.loadtest.api import Api
from deploy.loadtest.progress import progress
from deploy.loadtest.retry import Attempt, RetryPolicy, new_key, with_retries
from deploy.loadtest.targets import SOLD_OUT, Pool, Target

# Retries for the suite: about 25 s of backoff, enough to ride out an API restart or a short
# PostgreSQL outage; a booking still unanswered after that is given up (counted, not judged).
CHAOS_RETRY = RetryPolicy(attempts=10, base_s=0.25, max_s=4.0, budget_s=45.0)


@dataclass
class Booking:
    """One booking the client tried: where, how many seats, which buyer, every attempt."""

    key: str
    buyer: int
    target: Target
    quantity: int
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        """The distinct booking ids of the 202 answers, first seen first."""
        return list(dict.fromkeys(a.booking_id for a in self.attempts if a.booking_id))

    @property
    def accepted(self) -> bool:
        """True if any attempt was answered 202."""
        return bool(self.ids)

    @property
    def final(self) -> int:
        """Status of the last attempt (0: no answer)."""
        return self.attempts[-1].status if self.attempts else 0


@dataclass(frozen=True)
class Shape:
    """Arrival rate (bookings/s), seconds of arrivals, bookings in flight at most (further
    arrivals are dropped and counted), seconds granted to those in flight at the end."""

    rate: float
    duration: float
    max_inflight: int = 2000
    drain_s: float = 60.0


@dataclass
class LoadResult:
    """What the client did: its bookings, the arrivals dropped, and the moment of the first
    booking (wall clock, to compare with PostgreSQL's timestamps)."""

    bookings: list[Booking]
    dropped: int
    origin_wall: float
    origin: float

    def accepted_ids(self) -> list[str]:
        """Every booking id the server answered 202 with."""
        return [i for b in self.bookings for i in b.ids]


def status_line(result: LoadResult, start: float):
    """The progress line of the load phase."""
    def line() -> str:
        finals = Counter(b.final for b in result.bookings if b.attempts)
        retried = sum(max(0, len(b.attempts) - 1) for b in result.bookings)
        return (f"[load] {time.perf_counter() - start:6.1f}s bookings {len(result.bookings)} "
                f"accepted {finals[202]} 503 {finals[503]} no-answer {finals[0]} "
                f"retries {retried} dropped {result.dropped}")
    return line


async def book(api: Api, token: str, booking: Booking, policy: RetryPolicy,
               rng: random.Random, pool: Pool) -> None:
    """Every attempt of one booking; a fail-fast 'sold out' narrows the pool."""
    t = booking.target

    def once():
        return api.book_once(token, t.event_id, t.section, t.subsection, booking.quantity,
                             booking.key)

    booking.attempts = await with_retries(once, policy, rng)
    last = booking.attempts[-1]
    if last.status == 400 and isinstance(last.body, dict) and last.body.get("detail") == SOLD_OUT:
        pool.refused(t, booking.quantity)


async def drive(api: Api, tokens: list[str], pool: Pool, shape: Shape, policy: RetryPolicy,
                rng: random.Random) -> LoadResult:
    """Arrivals at `shape.rate` for `shape.duration` seconds; returns every booking tried."""
    start = time.perf_counter()
    result = LoadResult([], 0, time.time(), start)
    inflight: set[asyncio.Task] = set()
    async with progress(status_line(result, start)):
        for i in range(math.ceil(shape.rate * shape.duration)):
            await asyncio.sleep(max(0.0, i / shape.rate - (time.perf_counter() - start)))
            target = pool.pick(rng)
            if target is None:
                break
            if len(inflight) >= shape.max_inflight:
                result.dropped += 1
                continue
            booking = Booking(new_key(), i % len(tokens), target, pool.quantity(target, rng))
            result.bookings.append(booking)
            task = asyncio.create_task(book(api, tokens[booking.buyer], booking, policy, rng,
                                            pool))
            inflight.add(task)
            task.add_done_callback(inflight.discard)
        if inflight:
            await asyncio.wait(set(inflight), timeout=shape.drain_s)
    for task in inflight:
        task.cancel()
    return result
