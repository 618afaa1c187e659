"""Safe retries of `POST /api/booking`: one `Idempotency-Key` per booking, the same key on
every attempt, retried (bounded, with backoff) after a connection error, a timeout or a 503.

A server that honours the key answers a retry with the booking the first attempt created
(202, `Idempotent-Replayed: true`); one that ignores the header creates a second booking, which
the chaos suite reports as "duplicate booking on retry" (spec/faults.md). Against a healthy
server nothing is ever retried, so the header costs one uuid per booking and nothing else.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from deploy.loadtest.wire import header

TRANSPORT_ERROR = 0
UNAVAILABLE = 503


@dataclass(frozen=True)
class RetryPolicy:
    """At most `attempts` tries per booking; waits double from `base_s` up to `max_s` (with
    jitter), or follow the server's `Retry-After` within the same cap; no new attempt starts
    once `budget_s` seconds have passed since the first."""

    attempts: int = 1
    base_s: float = 0.25
    max_s: float = 4.0
    budget_s: float = 60.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before try number `attempt + 1` (attempt counts from 1)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_s)
        backoff = min(self.base_s * 2 ** (attempt - 1), self.max_s)
        return backoff * (0.5 + rng.random() / 2)


NO_RETRIES = RetryPolicy()


@dataclass(frozen=True)
class Attempt:
    """One try of a booking: HTTP status (0 = no answer), body, what the head said, when it
    was sent and answered (perf_counter seconds), and for no answer, the error and whether the
    request may have reached the server (`ambiguous`: anything but a refused connection)."""

    status: int
    body: object = None
    content_type: str | None = None
    replayed: bool = False
    retry_after: float | None = None
    sent: float = 0.0
    done: float = 0.0
    error: str | None = None
    ambiguous: bool = False

    @property
    def retryable(self) -> bool:
        """A connection error, a timeout or a 503: the same key may be sent again."""
        return self.status in (TRANSPORT_ERROR, UNAVAILABLE)

    @property
    def booking_id(self) -> str | None:
        """The booking id of a 202 answer."""
        if self.status == 202 and isinstance(self.body, dict) and self.body.get("id"):
            return str(self.body["id"])
        return None


def new_key() -> str:
    """A fresh idempotency key (one per booking, never per attempt)."""
    return uuid.uuid4().hex


def key_header(key: str) -> bytes:
    """The request header line that carries `key`."""
    return b"Idempotency-Key: %s\r\n" % key.encode()


def answer(status: int, head: bytes, payload: bytes, sent: float) -> Attempt:
    """An `Attempt` from a response read off the wire."""
    try:
        body = json.loads(payload)
    except ValueError:
        body = None
    retry_after = header(head, b"retry-after")
    try:
        wait = float(retry_after) if retry_after is not None else None
    except ValueError:
        wait = None
    replayed = (header(head, b"idempotent-replayed") or "").lower() == "true"
    return Attempt(status, body, header(head, b"content-type"), replayed, wait, sent,
                   time.perf_counter())


def failed(error: BaseException, sent: float) -> Attempt:
    """An `Attempt` that got no answer."""
    return Attempt(TRANSPORT_ERROR, sent=sent, done=time.perf_counter(),
                   error=type(error).__name__,
                   ambiguous=not isinstance(error, ConnectionRefusedError))


async def with_retries(
    once: Callable[[], Awaitable[Attempt]], policy: RetryPolicy, rng: random.Random
) -> list[Attempt]:
    """Every attempt of one booking, in order: the first, then retries while the answer is
    retryable, attempts are left and the time budget is not spent."""
    started = time.perf_counter()
    attempts = [await once()]
    while attempts[-1].retryable and len(attempts) < policy.attempts:
        wait = policy.delay(len(attempts), attempts[-1].retry_after, rng)
        if time.perf_counter() + wait - started > policy.budget_s:
            break
        await asyncio.sleep(wait)
        attempts.append(await once())
    return attempts
