"""`ConflatingFanout` (src/platform/fanout.py): one subscription per channel for all its
readers, confirmed before a reader is served (spec/architecture.md, guarantee 6), the latest
message per key handed out at most once per interval, the first after a pause at once, slow
readers dropped alone, a failed subscription ending every reader."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from src.platform.fanout import Batch, ConflatingFanout, Mailbox


class Gone(Exception):
    """What the fake's subscriptions fail with, and what readers left behind are ended with."""


class FakeChannels:
    """Hand-written pub/sub for the fan-out: `subscribes` and `unsubscribes` count per channel;
    while `gate` is set, subscribing waits for it (the server's confirmation); `publish`
    reaches the subscriptions open at that time; `fail` breaks them all."""

    def __init__(self) -> None:
        self.subscribes: dict[str, int] = {}
        self.unsubscribes: dict[str, int] = {}
        self.gate: asyncio.Event | None = None
        self.refuse = False
        self._open: dict[str, list[Mailbox[bytes]]] = {}

    @asynccontextmanager
    async def subscribe(
        self, channel: str, *, queue_size: int | None = None
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        if self.gate is not None:
            await self.gate.wait()
        if self.refuse:
            raise Gone("refused")
        self.subscribes[channel] = self.subscribes.get(channel, 0) + 1
        box: Mailbox[bytes] = Mailbox(10_000)
        self._open.setdefault(channel, []).append(box)
        try:
            yield box.items()
        finally:
            self._open[channel].remove(box)
            self.unsubscribes[channel] = self.unsubscribes.get(channel, 0) + 1

    def publish(self, channel: str, *messages: bytes) -> None:
        for box in self._open.get(channel, []):
            for m in messages:
                box.offer(m)

    def fail(self) -> None:
        for boxes in self._open.values():
            for box in boxes:
                box.end(Gone("connection lost"))


def key(raw: bytes) -> str:
    """`b"A=3"` → `"A"`; anything without `=` is skipped."""
    name, sep, _ = raw.partition(b"=")
    if not sep:
        raise ValueError("no key")
    return name.decode()


def fanout(channels: FakeChannels, interval_s: float = 3600.0, backlog: int = 30):
    return ConflatingFanout(channels.subscribe, key, interval_s, Gone, backlog)


async def next_batch(batches: AsyncIterator[Batch], timeout: float = 2.0) -> list[tuple]:
    return list((await asyncio.wait_for(anext(batches), timeout)).items)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_every_reader_of_a_channel_shares_one_subscription_until_the_last_leaves():
    channels = FakeChannels()
    hub = fanout(channels)
    async with hub.watch("e1") as a, hub.watch("e1") as b, hub.watch("e1") as c:
        assert channels.subscribes == {"e1": 1}
        assert hub.readers() == {"e1": 3}
        channels.publish("e1", b"A=1")
        for batches in (a, b, c):
            assert await next_batch(batches) == [("A", b"A=1")]
    await settle()
    assert channels.unsubscribes == {"e1": 1}
    assert hub.readers() == {}


async def test_the_first_message_goes_out_at_once_then_the_latest_per_key_per_interval():
    channels = FakeChannels()
    hub = fanout(channels, interval_s=0.2)
    async with hub.watch("e1") as batches:
        channels.publish("e1", b"A=1")
        assert await next_batch(batches, timeout=0.15) == [("A", b"A=1")]  # no interval wait
        channels.publish("e1", b"A=2", b"B=7", b"junk", b"A=3")
        assert await next_batch(batches) == [("A", b"A=3"), ("B", b"B=7")]


async def test_nothing_more_is_handed_out_before_the_interval_has_passed():
    channels = FakeChannels()
    hub = fanout(channels, interval_s=3600.0)
    async with hub.watch("e1") as batches:
        channels.publish("e1", b"A=1")
        assert await next_batch(batches) == [("A", b"A=1")]
        channels.publish("e1", b"A=2")
        with pytest.raises(TimeoutError):
            await next_batch(batches, timeout=0.2)


async def test_a_batch_is_encoded_once_for_all_its_readers():
    channels = FakeChannels()
    hub = fanout(channels)
    calls = []

    def encode(items):
        calls.append(items)
        return b"|".join(raw for _, raw in items)

    async with hub.watch("e1") as a, hub.watch("e1") as b:
        channels.publish("e1", b"A=1")
        frames = [(await asyncio.wait_for(anext(x), 2)).encoded(encode) for x in (a, b)]
    assert frames == [b"A=1", b"A=1"]
    assert len(calls) == 1


async def test_a_reader_is_served_only_once_the_subscription_is_confirmed():
    channels = FakeChannels()
    channels.gate = asyncio.Event()
    hub = fanout(channels)
    entered = asyncio.Event()

    async def reader():
        async with hub.watch("e1") as batches:
            entered.set()
            return await next_batch(batches)

    task = asyncio.create_task(reader())
    await settle()
    assert not entered.is_set() and channels.subscribes == {}
    channels.gate.set()
    await asyncio.wait_for(entered.wait(), 2)
    # Published after `watch` returned (while the stream would read the current state):
    channels.publish("e1", b"A=5")
    assert await task == [("A", b"A=5")]


async def test_a_reader_joining_a_confirmed_channel_is_served_at_once_and_hears_what_follows():
    channels = FakeChannels()
    hub = fanout(channels, interval_s=0.05)
    async with hub.watch("e1") as first:
        channels.publish("e1", b"A=1")
        await next_batch(first)
        channels.gate = asyncio.Event()  # a second subscription would now wait forever
        async with asyncio.timeout(2), hub.watch("e1") as second:
            channels.publish("e1", b"B=2")
            assert await next_batch(second) == [("B", b"B=2")]
            assert await next_batch(first) == [("B", b"B=2")]
        assert channels.subscribes == {"e1": 1}


async def test_a_reader_too_far_behind_is_dropped_and_the_others_go_on():
    channels = FakeChannels()
    hub = fanout(channels, interval_s=0.01, backlog=2)
    async with hub.watch("e1") as slow, hub.watch("e1") as fast:
        for n in range(4):
            channels.publish("e1", f"A={n}".encode())
            assert await next_batch(fast) == [("A", f"A={n}".encode())]
        with pytest.raises(Gone, match="fell behind"):
            await next_batch(slow)
        assert hub.readers() == {"e1": 1}


async def test_a_lost_subscription_hands_out_what_was_heard_then_ends_every_reader():
    channels = FakeChannels()
    hub = fanout(channels, interval_s=3600.0)
    async with hub.watch("e1") as a, hub.watch("e1") as b:
        channels.publish("e1", b"A=1")
        await next_batch(a)
        await next_batch(b)
        channels.publish("e1", b"A=2")
        await settle()
        channels.fail()
        for batches in (a, b):
            assert await next_batch(batches) == [("A", b"A=2")]
            with pytest.raises(Gone, match="connection lost"):
                await next_batch(batches)
    async with hub.watch("e1"):  # the next reader subscribes afresh
        assert channels.subscribes == {"e1": 2}


async def test_a_subscription_that_cannot_be_made_fails_the_watch():
    channels = FakeChannels()
    channels.refuse = True
    hub = fanout(channels)
    with pytest.raises(Gone, match="refused"):
        async with hub.watch("e1"):
            pass
    assert hub.readers() == {}
    channels.refuse = False
    async with hub.watch("e1"):
        assert channels.subscribes == {"e1": 1}


async def test_a_reader_leaving_while_the_subscription_is_pending_unsubscribes_nothing_twice():
    channels = FakeChannels()
    channels.gate = asyncio.Event()
    hub = fanout(channels)

    async def reader():
        async with hub.watch("e1"):
            pass

    task = asyncio.create_task(reader())
    await settle()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    channels.gate.set()
    await settle()
    assert hub.readers() == {}
    assert channels.subscribes.get("e1", 0) == channels.unsubscribes.get("e1", 0)


@pytest.mark.parametrize(("readers", "batch_bytes", "budget", "interval"), [
    (10, 100, None, 0.5),  # no budget: the interval
    (10, 100, 10_000.0, 0.5),  # 1,000 bytes a flush: well within the budget
    (100, 200, 10_000.0, 2.0),  # 20,000 bytes a flush: two seconds of the budget
    (10_000, 200, 10_000.0, 8.0),  # far over: the cap
    (0, 200, 10_000.0, 0.5),  # nobody watching costs nothing
])
def test_a_flush_is_paced_by_what_it_handed_out_against_the_budget(
        readers, batch_bytes, budget, interval):
    hub = ConflatingFanout(FakeChannels().subscribe, key, 0.5, Gone,
                           budget_bytes_s=budget, max_interval_s=8.0)
    assert hub.pace(readers, batch_bytes) == interval


async def test_a_crowd_over_the_budget_gets_its_next_batch_later():
    channels = FakeChannels()
    # 3 readers × 3 bytes = 9 bytes a flush, at 15 bytes/s: 0.6 s before the next.
    hub = ConflatingFanout(channels.subscribe, key, 0.01, Gone, budget_bytes_s=15.0,
                           max_interval_s=5.0)
    async with hub.watch("e1") as a, hub.watch("e1"), hub.watch("e1"):
        channels.publish("e1", b"A=1")
        assert await next_batch(a) == [("A", b"A=1")]
        channels.publish("e1", b"A=2")
        later = asyncio.ensure_future(anext(a))
        await asyncio.sleep(0.3)
        assert not later.done()  # the base interval (0.01 s) would have sent it by now
        assert list((await asyncio.wait_for(later, 2.0)).items) == [("A", b"A=2")]
