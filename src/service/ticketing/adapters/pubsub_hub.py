"""The `StatusFeed` of an API process: one pub/sub connection fanned out to all its SSE streams
(spec/security.md, "Stream caps").

A channel is SUBSCRIBEd when its first listener arrives and UNSUBSCRIBEd when its last one
leaves; every message is copied into each listener's bounded queue. `subscribe` returns only
once the server has confirmed the subscription the listener rides on, so a state read after it
never misses an update (spec/architecture.md, guarantee 6): a listener joining a confirmed
channel returns at once, one joining while the SUBSCRIBE is in flight waits for its reply.

The server answers commands in order, so each channel keeps the replies it still expects in
the order its commands were written: a listener that arrives while the last one's UNSUBSCRIBE
is in flight sends a new SUBSCRIBE behind it and hears nothing until that one's reply (the
messages still coming on the old subscription are not its own). All bookkeeping is
synchronous; one writer task sends the commands in the order they were decided, one reader
task dispatches what the server pushes. When the connection fails, every stream on it ends
(`Unavailable` while iterating) and the next subscriber opens a new connection.
"""

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

from src.platform.fanout import Mailbox
from src.service.ticketing.application.ports import Unavailable

log = logging.getLogger(__name__)

QUEUE_SIZE = 256  # messages a listener may be behind before it is dropped
CONFIRM_TIMEOUT_S = 5.0  # a SUBSCRIBE unanswered this long means the connection is broken


class PubSubLink(Protocol):
    """One pub/sub connection, connected. Every method raises `Unavailable` once it fails."""

    async def send(self, commands: Sequence[tuple[str, str]]) -> None:
        """Write `("SUBSCRIBE" | "UNSUBSCRIBE", channel)` commands, in this order."""

    async def read(self) -> tuple[str, str, bytes]:
        """What the server pushes next: `(kind, channel, data)`, kind `subscribe` or
        `unsubscribe` (a confirmation, data empty) or `message`."""

    async def aclose(self) -> None:
        """Close the connection; never raises."""


_Listener = Mailbox[bytes]  # one stream's queue of messages


@dataclass
class _Channel:
    """A channel's listeners and the replies its commands in flight still expect, in order: a
    SUBSCRIBE's future (True once confirmed, False if the connection failed first), or None
    for an UNSUBSCRIBE."""

    live: set[_Listener] = field(default_factory=set)  # they get every message
    waiting: set[_Listener] = field(default_factory=set)  # for `confirmation`
    confirmation: asyncio.Future[bool] | None = None  # of the last SUBSCRIBE, if it is the last
    replies: deque[asyncio.Future[bool] | None] = field(default_factory=deque)

    @property
    def wanted(self) -> bool:
        """Whether the last command sent for this channel was a SUBSCRIBE."""
        return self.confirmation is not None


class _Session:
    """One connection and the channels on it; ended as a whole when the connection fails."""

    def __init__(
        self, link: PubSubLink, closing: set[asyncio.Task[None]]
    ) -> None:
        self.link, self._closing = link, closing
        self.channels: dict[str, _Channel] = {}
        self.error: Unavailable | None = None
        self._outbox: list[tuple[str, str]] = []
        self._pending = asyncio.Event()
        self._tasks = [asyncio.create_task(self._run(self._write)),
                       asyncio.create_task(self._run(self._read))]

    def join(self, name: str, listener: _Listener) -> asyncio.Future[bool] | None:
        """Add `listener`; the confirmation to wait for, or None when it already listens.
        Raises `Unavailable` once the connection has failed."""
        if self.error is not None:
            raise self.error
        channel = self.channels.setdefault(name, _Channel())
        if channel.confirmation is not None and channel.confirmation.done():
            channel.live.add(listener)
            return None
        channel.waiting.add(listener)
        if channel.confirmation is None:
            channel.confirmation = asyncio.get_running_loop().create_future()
            channel.replies.append(channel.confirmation)
            self._command("SUBSCRIBE", name)
        return channel.confirmation

    def leave(self, name: str, listener: _Listener) -> None:
        """Remove `listener` (again is harmless); UNSUBSCRIBE when nobody is left."""
        channel = self.channels.get(name)
        if channel is None:
            return
        channel.live.discard(listener)
        channel.waiting.discard(listener)
        if channel.wanted and not channel.live and not channel.waiting:
            channel.confirmation = None
            channel.replies.append(None)
            self._command("UNSUBSCRIBE", name)

    def _command(self, kind: str, name: str) -> None:
        self._outbox.append((kind, name))
        self._pending.set()

    async def _write(self) -> None:
        while True:
            await self._pending.wait()
            self._pending.clear()
            commands, self._outbox = self._outbox, []
            await self.link.send(commands)

    async def _read(self) -> None:
        while True:
            self._dispatch(*await self.link.read())

    async def _run(self, loop: Callable[[], Awaitable[None]]) -> None:
        """Run the writer or the reader until the connection fails, then fail the session."""
        try:
            await loop()
        except Unavailable as e:
            self.fail(e)
        except Exception as e:  # noqa: BLE001 - a dead loop would silence every stream
            log.exception("pubsub_hub_error")
            self.fail(Unavailable(f"pub/sub failed: {e!r}"))

    def _dispatch(self, kind: str, name: str, data: bytes) -> None:
        channel = self.channels.get(name)
        if kind == "message":
            # None: every listener left and the UNSUBSCRIBE is confirmed; nobody to tell.
            if channel is not None:
                for listener in [x for x in channel.live if not x.offer(data)]:
                    self._drop(name, listener)
            return
        if kind not in ("subscribe", "unsubscribe"):
            return  # e.g. a PING's pong: nothing to do
        if channel is None or not channel.replies:
            raise Unavailable(f"pub/sub: unexpected {kind} of {name!r}")
        expected = channel.replies.popleft()
        if (expected is None) != (kind == "unsubscribe"):
            raise Unavailable(f"pub/sub: {kind} of {name!r} out of order")
        if expected is not None:
            expected.set_result(True)
            if expected is channel.confirmation:
                channel.live |= channel.waiting
                channel.waiting.clear()
        elif not channel.wanted and not channel.replies:
            del self.channels[name]

    def _drop(self, name: str, listener: _Listener) -> None:
        log.warning("sse_listener_dropped channel=%s queued=%d reason=too_slow", name,
                    listener.size)
        listener.end(Unavailable("the stream fell behind"), discard=True)
        self.leave(name, listener)

    def fail(self, error: Unavailable, announce: bool = True) -> None:
        """End every listener and waiting subscriber with `error`, and close the connection;
        logged unless `announce` is false (a planned stop)."""
        if self.error is not None:
            return
        self.error = error
        ended = 0
        for channel in self.channels.values():
            for reply in channel.replies:
                if reply is not None and not reply.done():
                    reply.set_result(False)
            for listener in channel.live | channel.waiting:
                listener.end(error)
                ended += 1
        self.channels.clear()
        if announce:
            log.warning("pubsub_hub_lost error=%r listeners=%d", error, ended)
        for task in self._tasks:
            task.cancel()
        closed = asyncio.create_task(self.link.aclose())
        self._closing.add(closed)
        closed.add_done_callback(self._closing.discard)


class StatusHub:
    """Pub/sub subscriptions for the SSE streams (the `StatusFeed` port): one connection,
    opened by `connect` when the first subscriber arrives and again after it failed, shared by
    every listener of the process. Each listener may be `queue_size` messages behind; beyond
    that it is dropped (its iteration raises `Unavailable`) and the others go on."""

    def __init__(
        self, connect: Callable[[], Awaitable[PubSubLink]], queue_size: int = QUEUE_SIZE,
        confirm_timeout_s: float = CONFIRM_TIMEOUT_S,
    ) -> None:
        self._connect, self._queue_size = connect, queue_size
        self._confirm_timeout_s = confirm_timeout_s
        self._session: _Session | None = None
        self._opening: asyncio.Task[_Session] | None = None
        self._closing: set[asyncio.Task[None]] = set()  # connections being closed

    @asynccontextmanager
    async def subscribe(
        self, channel: str, *, queue_size: int | None = None
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """Listening on `channel`, confirmed by the server, before it yields the messages
        published from then on; the listener may be `queue_size` (default: the hub's) messages
        behind. Raises `Unavailable` when the store cannot be reached or does not confirm
        within `confirm_timeout_s` (also while iterating, when the connection fails or the
        listener fell behind)."""
        session = await self._ready()
        listener = _Listener(self._queue_size if queue_size is None else queue_size)
        confirmation = session.join(channel, listener)
        try:
            if confirmation is not None:
                await self._confirmed(session, confirmation)
            yield listener.items()
        finally:
            session.leave(channel, listener)

    def listeners(self) -> dict[str, int]:
        """Listeners per channel on the current connection (waiting ones included)."""
        session = self._session
        if session is None or session.error is not None:
            return {}
        return {name: len(c.live) + len(c.waiting) for name, c in session.channels.items()}

    async def aclose(self) -> None:
        """End every stream and close the connection."""
        session, self._session = self._session, None
        if session is not None:
            session.fail(Unavailable("the service is stopping"), announce=False)
        if self._closing:
            await asyncio.wait(set(self._closing))

    async def _ready(self) -> _Session:
        session = self._session
        if session is not None and session.error is None:
            return session
        if self._opening is None:  # concurrent subscribers share one attempt
            self._opening = asyncio.create_task(self._open())
            self._opening.add_done_callback(_retrieved)
        return await asyncio.shield(self._opening)

    async def _open(self) -> _Session:
        try:
            link = await self._connect()
        finally:
            self._opening = None
        self._session = _Session(link, self._closing)
        return self._session

    async def _confirmed(self, session: _Session, confirmation: asyncio.Future[bool]) -> None:
        try:
            async with asyncio.timeout(self._confirm_timeout_s):
                confirmed = await asyncio.shield(confirmation)
        except TimeoutError:
            session.fail(Unavailable("pub/sub did not confirm a subscription in time"))
            confirmed = False
        if not confirmed:
            raise session.error or Unavailable("pub/sub unavailable")


def _retrieved(task: asyncio.Task[_Session]) -> None:
    """Mark a failed connection attempt's error as seen even when every waiter left."""
    if not task.cancelled():
        task.exception()
