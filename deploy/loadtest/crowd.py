"""A crowd of idle SSE clients around a sustained run (`--sse-event-streams N`,
`--sse-booking-streams M`): opened before the measured load starts, kept open (and read)
during it, counted and closed at its end, so the report shows what the streams cost the
booking path and whether the server kept them (spec/performance.md, "How to run").

Event streams (`GET /api/event/{id}/sse`) are anonymous and spread over the run's events;
booking streams (`GET /api/booking/event/{id}/sse`) go round the run's buyers, so each buyer
holds ceil(M / buyers) of them, which the server's per-user cap must allow. Each stream is a
raw HTTP/1.1 connection that is only read, with `data:` lines counted, as cheap for the tool as
a stream can be.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from deploy.loadtest.api import TRANSPORT_ERRORS, check_loopback
from deploy.loadtest.fixtures import Stage
from deploy.loadtest.progress import note

OPEN_PARALLEL = 64  # streams being opened at once
DEFAULT_PER_USER = 10  # the server's TICKETING_SSE_MAX_PER_USER unless raised
CLOSE_EVENT = b"event: close"


@dataclass(frozen=True)
class Plan:
    """One stream to open: its kind (`event` or `booking`), path and bearer token."""

    kind: str
    path: str
    token: str | None = None


@dataclass
class Tally:
    """What became of the streams of one kind."""

    requested: int = 0
    opened: int = 0
    refused: Counter[int] = field(default_factory=Counter)  # by status, 0: no answer
    ended_early: int = 0  # ended by the server (or broken) before the end of the run
    closed_by_server: int = 0  # of those, with the stream's own `close` event
    messages: int = 0  # `data:` lines received

    def facts(self, kind: str) -> dict:
        """The report's `sse_<kind>_*` figures."""
        prefix = f"sse_{kind}_streams"
        return {
            prefix: self.requested, f"{prefix}_opened": self.opened,
            f"{prefix}_refused": sum(self.refused.values()),
            f"{prefix}_refused_by_status": {str(k): v for k, v in sorted(self.refused.items())},
            f"{prefix}_open_at_end": self.opened - self.ended_early,
            f"{prefix}_ended_early": self.ended_early,
            f"{prefix}_closed_by_server": self.closed_by_server,
            f"sse_{kind}_messages": self.messages,
        }


# (status, the stream's reader or None, a function that closes the connection)
Opened = tuple[int, asyncio.StreamReader | None, Callable[[], None]]
Opener = Callable[[str, str | None], Awaitable[Opened]]


def plans(event_streams: int, booking_streams: int, event_ids: list[int],
          tokens: list[str]) -> list[Plan]:
    """Event streams round the events, booking streams round the buyers (and the events)."""
    events = [Plan("event", f"/api/event/{event_ids[i % len(event_ids)]}/sse")
              for i in range(event_streams)]
    bookings = [Plan("booking", f"/api/booking/event/{event_ids[i % len(event_ids)]}/sse",
                     tokens[i % len(tokens)]) for i in range(booking_streams)]
    return events + bookings


def per_buyer(booking_streams: int, buyers: int) -> int:
    """Booking streams each buyer holds."""
    return math.ceil(booking_streams / buyers) if booking_streams else 0


def http_opener(base_url: str, timeout_s: float) -> Opener:
    """Opens a stream over a raw HTTP/1.1 connection to the (loopback) API."""
    parts = urlsplit(check_loopback(base_url))
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    async def open_stream(path: str, token: str | None) -> Opened:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(host, port)
        auth = b"Authorization: Bearer %s\r\n" % token.encode() if token else b""
        writer.write(b"GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n%s\r\n"
                     % (path.encode(), host.encode(), auth))
        try:
            async with asyncio.timeout(timeout_s):
                head = await reader.readuntil(b"\r\n\r\n")
        except BaseException:
            writer.close()
            raise
        status = int(head[9:12]) if head.startswith(b"HTTP/1.1 ") else 0
        if status != 200:
            writer.close()
            return status, None, writer.close
        return status, reader, writer.close

    return open_stream


class Crowd:
    """The streams of one run: `open` them, then `finish` to count and close them."""

    def __init__(self, opener: Opener) -> None:
        self._opener = opener
        self.tallies = {"event": Tally(), "booking": Tally()}
        self._closers: list[Callable[[], None]] = []
        self._readers: set[asyncio.Task[None]] = set()
        self._finishing = False
        self.open_seconds = 0.0

    async def open(self, planned: list[Plan]) -> None:
        """Open every planned stream, `OPEN_PARALLEL` at a time; refusals are counted."""
        started = time.monotonic()
        limit = asyncio.Semaphore(OPEN_PARALLEL)

        async def one(plan: Plan) -> None:
            async with limit:
                await self._open_one(plan)

        for plan in planned:
            self.tallies[plan.kind].requested += 1
        await asyncio.gather(*(one(plan) for plan in planned))
        self.open_seconds = time.monotonic() - started

    async def _open_one(self, plan: Plan) -> None:
        tally = self.tallies[plan.kind]
        try:
            status, reader, close = await self._opener(plan.path, plan.token)
        except TRANSPORT_ERRORS:
            status, reader = 0, None
        if reader is None:
            tally.refused[status] += 1
            return
        tally.opened += 1
        self._closers.append(close)
        task = asyncio.create_task(self._follow(reader, tally))
        self._readers.add(task)

    async def _follow(self, reader: asyncio.StreamReader, tally: Tally) -> None:
        closed, tail = False, b""
        try:
            while chunk := await reader.read(65536):
                tally.messages += chunk.count(b"data:")
                closed = closed or CLOSE_EVENT in tail + chunk
                tail = chunk[-len(CLOSE_EVENT):]
        except TRANSPORT_ERRORS:
            pass
        if not self._finishing:
            tally.ended_early += 1
            tally.closed_by_server += closed

    async def finish(self) -> dict:
        """Count the streams still open, close them all; the report's `sse_*` figures."""
        self._finishing = True
        facts: dict = {"sse_open_seconds": round(self.open_seconds, 2)}
        for kind, tally in self.tallies.items():
            if tally.requested:
                facts |= tally.facts(kind)
        for close in self._closers:
            close()
        if self._readers:
            await asyncio.wait(set(self._readers), timeout=5)
        for task in self._readers:
            task.cancel()
        return facts


def streams_wanted(args) -> int:
    """SSE streams the run keeps open (sustained mode only)."""
    return getattr(args, "sse_event_streams", 0) + getattr(args, "sse_booking_streams", 0)


async def open_crowd(args, crowd: Crowd, stage: Stage) -> None:
    """Open the run's idle SSE streams before the measured load (spec/performance.md)."""
    if not streams_wanted(args):
        return
    each = per_buyer(args.sse_booking_streams, len(stage.tokens))
    if each > DEFAULT_PER_USER:
        note(f"[setup] {each} booking streams per buyer: the API refuses more than "
             f"TICKETING_SSE_MAX_PER_USER (default {DEFAULT_PER_USER}); raise it or --buyers")
    await crowd.open(plans(args.sse_event_streams, args.sse_booking_streams, stage.event_ids,
                           stage.tokens))
    opened = {kind: (t.opened, t.requested) for kind, t in crowd.tallies.items()}
    note(f"[setup] SSE streams open: {opened['event'][0]}/{opened['event'][1]} event, "
         f"{opened['booking'][0]}/{opened['booking'][1]} booking, "
         f"in {crowd.open_seconds:.1f}s")
