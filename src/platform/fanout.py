"""Fan-out of a channel's messages to many readers of the same process.

`Mailbox` is one reader's bounded queue. `ConflatingFanout` serves readers who only need the
latest value of each part of a state (an event's seat counts per subsection): one subscription
per channel per process, whatever the number of readers, and the messages heard are merged by
key into a `Batch` handed to every reader at most once per interval. A busy channel then costs
each reader one wake-up per interval instead of one per message, and whatever a reader does
with a batch (encode it) it can do once for all of them (`Batch.encoded`); a quiet channel's
first message after a pause goes out at once (spec/performance.md, "With idle SSE clients").
With a byte budget, a room whose batches times readers would exceed it per second waits
longer between flushes (up to a cap): a crowd watching a busy event then gets fewer, fuller
batches instead of taking the process's CPU from everything else.
"""

import asyncio
import logging
import math
from collections import deque
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

class Subscribe(Protocol):
    """A channel's messages: `subscribe(channel, queue_size=n)` may queue up to `n` messages
    for this subscriber before it drops it (the `StatusFeed` port's `subscribe`)."""

    def __call__(
        self, channel: str, *, queue_size: int | None = None
    ) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Subscribed to `channel`; raises what the feed raises."""


# Messages a room's own subscription may queue before the room reads them. The room only merges
# them by key, so it is behind only while its process's event loop is busy elsewhere (writing to
# thousands of streams), and the feed may then hand over everything its connection buffered at
# once; a feed's per-stream cap (hundreds) would end every reader of a busy event together.
# Sized for ten seconds of an event's updates at 2,000 bookings/s (about 200 bytes each: 4 MB).
ROOM_QUEUE_SIZE = 20_000


class Mailbox(Generic[T]):
    """One reader's queue: up to `size` items; ended by an error, which iteration raises once
    the queue is empty (emptied first when ended with `discard`)."""

    def __init__(self, size: int) -> None:
        self._items: deque[T] = deque()
        self.size = size
        self._error: BaseException | None = None
        self._wakeup: asyncio.Future[None] | None = None

    def offer(self, item: T) -> bool:
        """Queue `item`; False (and nothing queued) when the queue is full."""
        if len(self._items) >= self.size:
            return False
        self._items.append(item)
        self._wake()
        return True

    def end(self, error: BaseException, *, discard: bool = False) -> None:
        """Raise `error` to the reader once it has read what is queued (the first error
        counts; `discard` drops what is queued)."""
        if self._error is None:
            self._error = error
        if discard:
            self._items.clear()
        self._wake()

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    async def items(self) -> AsyncIterator[T]:
        """The items in the order offered, waiting for more; raises the ending error."""
        while True:
            if self._items:
                yield self._items.popleft()
            elif self._error is not None:
                raise self._error
            else:
                self._wakeup = asyncio.get_running_loop().create_future()
                await self._wakeup
                self._wakeup = None


class Batch:
    """What one flush hands every reader: `(key, message)` pairs, the latest message of each
    key heard since the previous flush, in the order the keys were first heard. Shared by all
    readers, so `encoded` computes an encoding once."""

    __slots__ = ("items", "_encoded")

    def __init__(self, items: tuple[tuple[Hashable, bytes], ...]) -> None:
        self.items = items
        self._encoded: bytes | None = None

    def encoded(self, encode: Callable[[Sequence[tuple[Hashable, bytes]]], bytes]) -> bytes:
        """`encode(items)`, computed by the first reader and kept: every reader of a fan-out
        must pass the same `encode`."""
        if self._encoded is None:
            self._encoded = encode(self.items)
        return self._encoded


class _Room:
    """One channel's subscription, its readers and the messages not yet flushed."""

    def __init__(self, fanout: "ConflatingFanout", channel: str) -> None:
        self.fanout, self.channel = fanout, channel
        self.readers: set[Mailbox[Batch]] = set()
        self.failed = False
        self._pending: dict[Hashable, bytes] = {}
        self._last_flush = -math.inf
        self.interval_s = fanout.interval_s  # until the next flush, as `ConflatingFanout.pace`
        self._timer: asyncio.TimerHandle | None = None
        loop = asyncio.get_running_loop()
        self.ready: asyncio.Future[None] = loop.create_future()
        self.ready.add_done_callback(_retrieved)
        self._task = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        error: BaseException
        try:
            async with self.fanout.subscribe(self.channel,
                                              queue_size=ROOM_QUEUE_SIZE) as messages:
                if not self.ready.done():
                    self.ready.set_result(None)
                async for raw in messages:
                    self._heard(raw)
            error = self.fanout.ended("the subscription ended")
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - every reader must hear that it is over
            error = e
        self._fail(error)

    def _heard(self, raw: bytes) -> None:
        try:
            key = self.fanout.key(raw)
        except ValueError as e:
            log.warning("fanout_message_skipped channel=%s error=%r", self.channel, e)
            return
        self._pending[key] = raw
        if self._timer is not None:
            return
        loop = asyncio.get_running_loop()
        delay = self._last_flush + self.interval_s - loop.time()
        if delay <= 0:
            self._flush()
        else:
            self._timer = loop.call_later(delay, self._flush)

    def _flush(self) -> None:
        self._timer = None
        self._last_flush = asyncio.get_running_loop().time()
        batch, self._pending = Batch(tuple(self._pending.items())), {}
        self.interval_s = self.fanout.pace(
            len(self.readers), sum(len(raw) for _, raw in batch.items))
        for reader in [r for r in self.readers if not r.offer(batch)]:
            log.warning("fanout_reader_dropped channel=%s behind=%d", self.channel,
                        self.fanout.backlog)
            reader.end(self.fanout.ended("the stream fell behind"), discard=True)
            self.readers.discard(reader)

    def _fail(self, error: BaseException) -> None:
        """Hand out what was heard, then end every reader (and a subscription still waited
        for) with `error`."""
        self.failed = True
        if self._timer is not None:
            self._timer.cancel()
        if self._pending:
            self._flush()
        if not self.ready.done():
            self.ready.set_exception(error)
        for reader in self.readers:
            reader.end(error)
        self.readers.clear()
        self.fanout.forget(self)

    def close(self) -> None:
        """Unsubscribe (the last reader left)."""
        self.failed = True
        if self._timer is not None:
            self._timer.cancel()
        self._task.cancel()
        if not self.ready.done():
            self.ready.cancel()


class ConflatingFanout:
    """Readers of a channel, one subscription (`subscribe`) per channel for all of them;
    each reader receives `Batch`es, at most one per `interval_s` seconds, of the latest message
    per `key(message)` (which raises `ValueError` for a message to skip). A reader more than
    `backlog` batches behind is ended with `ended("…")`; so are all readers of a channel whose
    subscription fails (with its error). With `budget_bytes_s`, the interval after a flush
    grows with what it handed out (`pace`), up to `max_interval_s`."""

    def __init__(
        self, subscribe: Subscribe, key: Callable[[bytes], Hashable], interval_s: float,
        ended: Callable[[str], BaseException], backlog: int = 30, *,
        budget_bytes_s: float | None = None, max_interval_s: float = 10.0,
    ) -> None:
        self.subscribe, self.key, self.interval_s = subscribe, key, interval_s
        self.ended, self.backlog = ended, backlog
        self.budget_bytes_s = budget_bytes_s if budget_bytes_s and budget_bytes_s > 0 else None
        self.max_interval_s = max_interval_s
        self._rooms: dict[str, _Room] = {}

    def pace(self, readers: int, batch_bytes: int) -> float:
        """Seconds until a room may flush again after handing `batch_bytes` (the sum of its
        messages' lengths) to each of `readers`: `interval_s`, or as long as it takes the
        `budget_bytes_s` to pay for that flush, at most `max_interval_s` (never less than
        `interval_s`)."""
        if self.budget_bytes_s is None:
            return self.interval_s
        paid_for = readers * batch_bytes / self.budget_bytes_s
        return max(self.interval_s, min(paid_for, self.max_interval_s))

    @asynccontextmanager
    async def watch(self, channel: str) -> AsyncIterator[AsyncIterator[Batch]]:
        """Subscribed to `channel` (as `subscribe` confirms it) before it yields the batches
        of what is heard from then on; raises what the subscription raises, also while
        iterating when it fails later or the reader fell behind."""
        room = self._rooms.get(channel)
        if room is None or room.failed:
            room = self._rooms[channel] = _Room(self, channel)
        reader: Mailbox[Batch] = Mailbox(self.backlog)
        room.readers.add(reader)
        try:
            await asyncio.shield(room.ready)
            yield reader.items()
        finally:
            room.readers.discard(reader)
            if not room.readers and self._rooms.get(channel) is room:
                self.forget(room)
                room.close()

    def forget(self, room: _Room) -> None:
        """Drop `room` from the channels served (a failed or closed one)."""
        if self._rooms.get(room.channel) is room:
            del self._rooms[room.channel]

    def readers(self) -> dict[str, int]:
        """Readers per channel."""
        return {name: len(room.readers) for name, room in self._rooms.items()}


def _retrieved(future: asyncio.Future[None]) -> None:
    """Mark a failed subscription's error as seen even when every reader left."""
    if not future.cancelled():
        future.exception()
