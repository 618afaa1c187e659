"""A hand-written pub/sub server for the hub's unit tests: it answers SUBSCRIBE and UNSUBSCRIBE
in order, as Redis does, delivers a message only to connections subscribed at the time, and can
hold its answers, refuse connections or break every connection on demand."""

import asyncio
from collections.abc import Sequence

from src.service.ticketing.application.ports import Unavailable

BROKEN = ("broken", "", b"")


class FakeLink:
    """One connection to the `FakePubSub` server."""

    def __init__(self, server: "FakePubSub") -> None:
        self.server = server
        self.subscribed: set[str] = set()
        self.pushes: asyncio.Queue[tuple[str, str, bytes]] = asyncio.Queue()
        self.broken = self.closed = False

    async def send(self, commands: Sequence[tuple[str, str]]) -> None:
        if self.broken or self.closed:
            raise Unavailable("pub/sub unavailable")
        self.server.sent += list(commands)
        self.server.unanswered += [(self, kind, channel) for kind, channel in commands]
        if not self.server.hold:
            self.server.answer()

    async def read(self) -> tuple[str, str, bytes]:
        if self.broken:
            raise Unavailable("pub/sub unavailable")
        pushed = await self.pushes.get()
        if pushed == BROKEN:
            raise Unavailable("pub/sub unavailable")
        return pushed

    async def aclose(self) -> None:
        self.closed = True
        self.subscribed.clear()


class FakePubSub:
    """The server: `sent` lists every command received, `connections` every link opened.
    While `hold` is set, commands wait in `unanswered` until `answer()`; while `down` is set,
    connecting raises `Unavailable` (after `opened`, an event, is set when `slow`)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.unanswered: list[tuple[FakeLink, str, str]] = []
        self.connections: list[FakeLink] = []
        self.attempts = 0
        self.hold = self.down = False
        self.slow: asyncio.Event | None = None

    async def connect(self) -> FakeLink:
        self.attempts += 1
        if self.slow is not None:
            await self.slow.wait()
        if self.down:
            raise Unavailable("pub/sub unavailable")
        link = FakeLink(self)
        self.connections.append(link)
        return link

    def answer(self, count: int | None = None) -> None:
        """Carry out the commands received so far (or the first `count`), in order, and
        confirm each."""
        count = len(self.unanswered) if count is None else count
        commands, self.unanswered = self.unanswered[:count], self.unanswered[count:]
        for link, kind, channel in commands:
            if kind == "SUBSCRIBE":
                link.subscribed.add(channel)
            else:
                link.subscribed.discard(channel)
            link.pushes.put_nowait((kind.lower(), channel, b""))

    def publish(self, channel: str, data: bytes) -> int:
        """Deliver to every open connection subscribed to `channel`; how many got it."""
        receivers = [link for link in self.connections
                     if channel in link.subscribed and not link.closed and not link.broken]
        for link in receivers:
            link.pushes.put_nowait(("message", channel, data))
        return len(receivers)

    def numsub(self, channel: str) -> int:
        """Open connections subscribed to `channel` (as `PUBSUB NUMSUB`)."""
        return sum(channel in link.subscribed for link in self.connections if not link.closed)

    def break_all(self) -> None:
        """Every open connection fails: reads and writes raise `Unavailable`."""
        for link in self.connections:
            if not link.closed:
                link.broken = True
                link.subscribed.clear()
                link.pushes.put_nowait(BROKEN)
