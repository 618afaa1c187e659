"""Server-Sent Events for the scenarios: read a stream to its end, or listen in the background.

Every read is bounded by a deadline, so a stream that never sends what a step waits for fails
the step instead of hanging the run.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import httpx


def parse_sse(lines: Iterable[str]) -> Iterator[tuple[str, object]]:
    """(event name, JSON data) per Server-Sent Event; comments (pings) are skipped."""
    name, data = "message", []
    for line in lines:
        if not line:
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


@dataclass
class SseResult:
    status: int = 0
    events: list[tuple[str, object]] = field(default_factory=list)
    ended: bool = False  # the server closed the stream by itself

    def updates(self) -> list[dict]:
        return [data for name, data in self.events if name == "status_update"]


def read_sse(
    client: httpx.Client, path: str, headers: dict | None = None,
    stop: Callable[[list], bool] | None = None, timeout: float = 15.0,
    opened: Callable[[httpx.Response], None] | None = None,
) -> SseResult:
    """Read a stream until the server ends it, `stop(events)` is true, or `timeout` passes.
    `opened` gets the response as soon as it starts (to close it from another thread)."""
    result, deadline = SseResult(), time.monotonic() + timeout
    try:
        with client.stream("GET", path, headers=headers,
                           timeout=httpx.Timeout(10.0, read=timeout)) as response:
            result.status = response.status_code
            if opened:
                opened(response)
            if response.status_code != 200:
                result.events.append(("error", json.loads(response.read() or b"{}")))
                return result
            for event in parse_sse(response.iter_lines()):
                result.events.append(event)
                if (stop and stop(result.events)) or time.monotonic() > deadline:
                    return result
            result.ended = True
    except (httpx.TransportError, httpx.StreamError):
        pass  # our deadline, or closed by `SseListener.close`
    return result


class SseListener:
    """Reads a stream on a background thread; the test takes events as they arrive."""

    def __init__(self, client: httpx.Client, path: str, headers: dict | None = None,
                 timeout: float = 30.0) -> None:
        self.seen: list[tuple[str, object]] = []
        self.result: SseResult | None = None
        self._queue: queue.Queue = queue.Queue()
        self._response: httpx.Response | None = None
        threading.Thread(target=self._run, args=(client, path, headers, timeout),
                         daemon=True).start()

    def _run(self, client: httpx.Client, path: str, headers: dict | None, timeout: float):
        try:
            self.result = read_sse(client, path, headers, self._push, timeout, self._opened)
        finally:
            self._queue.put(None)

    def _opened(self, response: httpx.Response) -> None:
        self._response = response

    def _push(self, events: list) -> bool:
        self._queue.put(events[-1])
        return False

    def next(self, timeout: float) -> tuple | None:
        """The next event (name, data), or None when the stream ended or `timeout` passed."""
        try:
            item = self._queue.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None
        if item is None:
            self._queue.put(None)  # stay ended for later calls
            return None
        self.seen.append(item)
        return item

    def wait_for(self, wanted: Callable[[str, object], bool], timeout: float = 20.0) -> tuple:
        """The first event (name, data) for which `wanted` is true; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while (item := self.next(deadline - time.monotonic())) is not None:
            if wanted(*item):
                return item
        raise AssertionError(f"no matching event within {timeout}s; events seen: {self.seen}")

    def drain(self, seconds: float) -> list[tuple]:
        """Every event that arrives within `seconds`."""
        deadline, items = time.monotonic() + seconds, []
        while (item := self.next(deadline - time.monotonic())) is not None:
            items.append(item)
        return items

    def ended(self, timeout: float = 10.0) -> bool:
        """True once the server has closed the stream by itself."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.result is None:
            time.sleep(0.05)
        return bool(self.result and self.result.ended)

    def close(self) -> None:
        """Hang up (the reading thread then stops)."""
        if self._response is not None:
            self._response.close()
