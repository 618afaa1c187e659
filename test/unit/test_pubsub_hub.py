"""The SSE streams' pub/sub hub over a hand-written pub/sub server: one subscription per
channel however many listeners, `subscribe` returning only once the listener's subscription is
confirmed, the unsubscribe/subscribe race, slow listeners dropped, outages (spec/security.md,
"Stream caps"; spec/architecture.md, guarantee 6)."""

import asyncio
import logging
from contextlib import AsyncExitStack

import pytest

from src.platform.fanout import ConflatingFanout
from src.service.ticketing.adapters.pubsub_hub import StatusHub
from src.service.ticketing.application.ports import Unavailable
from test.pubsub_fakes import FakePubSub


def hub_of(server: FakePubSub, **options) -> StatusHub:
    return StatusHub(server.connect, **options)


async def take(messages, n: int) -> list[bytes]:
    async with asyncio.timeout(2):
        return [await anext(messages) for _ in range(n)]


async def test_listeners_of_a_channel_share_one_subscription_and_get_every_message_in_order():
    server = FakePubSub()
    hub = hub_of(server)
    async with AsyncExitStack() as stack:
        a = [await stack.enter_async_context(hub.subscribe("a")) for _ in range(3)]
        b = [await stack.enter_async_context(hub.subscribe("b")) for _ in range(2)]
        for i in range(3):
            server.publish("a", b"a%d" % i)
            server.publish("b", b"b%d" % i)
        for messages in a:
            assert await take(messages, 3) == [b"a0", b"a1", b"a2"]
        for messages in b:
            assert await take(messages, 3) == [b"b0", b"b1", b"b2"]
        assert server.sent == [("SUBSCRIBE", "a"), ("SUBSCRIBE", "b")]
        assert len(server.connections) == 1
        assert hub.listeners() == {"a": 3, "b": 2}


async def test_the_last_listener_leaving_unsubscribes_and_a_later_one_subscribes_again():
    server = FakePubSub()
    hub = hub_of(server)
    async with hub.subscribe("a"), hub.subscribe("a"):
        pass
    await asyncio.sleep(0.01)
    assert server.sent == [("SUBSCRIBE", "a"), ("UNSUBSCRIBE", "a")]
    assert server.numsub("a") == 0 and hub.listeners() == {}
    async with hub.subscribe("a") as messages:
        server.publish("a", b"again")
        assert await take(messages, 1) == [b"again"]
    await asyncio.sleep(0.01)
    assert server.sent[2:] == [("SUBSCRIBE", "a"), ("UNSUBSCRIBE", "a")]


async def test_a_listener_joining_while_the_subscribe_is_in_flight_waits_for_its_confirmation():
    server = FakePubSub()
    server.hold = True
    hub = hub_of(server)
    joined = asyncio.Event()

    async def listen(got: list[bytes]) -> None:
        async with hub.subscribe("a") as messages:
            joined.set()
            got += await take(messages, 1)

    got: tuple[list[bytes], list[bytes]] = ([], [])
    first = asyncio.create_task(listen(got[0]))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(listen(got[1]))
    await asyncio.sleep(0.01)
    assert not joined.is_set()  # neither returned before the server confirmed
    assert server.sent == [("SUBSCRIBE", "a")]
    server.answer()
    await asyncio.wait_for(joined.wait(), 2)
    server.publish("a", b"after")
    await asyncio.wait_for(asyncio.gather(first, second), 2)
    assert got == ([b"after"], [b"after"])


async def test_a_listener_joining_a_confirmed_channel_returns_at_once():
    server = FakePubSub()
    hub = hub_of(server)
    async with hub.subscribe("a") as first:
        server.hold = True  # the server would answer nothing more
        async with asyncio.timeout(0.5), hub.subscribe("a") as second:
            server.publish("a", b"m")
            assert await take(first, 1) == await take(second, 1) == [b"m"]
    await asyncio.sleep(0.01)
    assert server.sent == [("SUBSCRIBE", "a"), ("UNSUBSCRIBE", "a")]


async def test_a_subscribe_racing_the_last_unsubscribe_hears_only_its_own_subscription():
    server = FakePubSub()
    hub = hub_of(server)
    async with hub.subscribe("a"):
        server.hold = True
    # The UNSUBSCRIBE is in flight: the server is still subscribed, and the newcomer has to
    # subscribe again behind it.
    stack = AsyncExitStack()
    joining = asyncio.create_task(stack.enter_async_context(hub.subscribe("a")))
    await asyncio.sleep(0.01)
    assert server.publish("a", b"old subscription") == 1
    await asyncio.sleep(0.01)
    assert not joining.done()
    assert server.sent == [("SUBSCRIBE", "a"), ("UNSUBSCRIBE", "a"), ("SUBSCRIBE", "a")]
    server.answer()
    messages = await asyncio.wait_for(joining, 2)
    server.publish("a", b"new subscription")
    assert await take(messages, 1) == [b"new subscription"]
    assert server.numsub("a") == 1 and hub.listeners() == {"a": 1}
    assert len(server.connections) == 1  # the stray message broke nothing
    server.hold = False
    await stack.aclose()
    await asyncio.sleep(0.01)
    assert server.numsub("a") == 0 and hub.listeners() == {}


async def test_a_newcomer_is_not_served_by_an_earlier_subscribe_confirmed_late():
    server = FakePubSub()
    server.hold = True
    hub = hub_of(server)
    first = asyncio.create_task(hub.subscribe("a").__aenter__())
    await asyncio.sleep(0.01)
    first.cancel()  # gone before its SUBSCRIBE was answered: an UNSUBSCRIBE follows it
    stack = AsyncExitStack()
    joining = asyncio.create_task(stack.enter_async_context(hub.subscribe("a")))
    await asyncio.sleep(0.01)
    assert server.sent == [("SUBSCRIBE", "a"), ("UNSUBSCRIBE", "a"), ("SUBSCRIBE", "a")]
    server.answer(1)
    server.publish("a", b"old subscription")
    server.answer()
    messages = await asyncio.wait_for(joining, 2)
    server.publish("a", b"new subscription")
    assert await take(messages, 1) == [b"new subscription"]
    await stack.aclose()


async def test_messages_for_a_channel_whose_listeners_left_are_dropped_quietly():
    server = FakePubSub()
    hub = hub_of(server)
    async with hub.subscribe("a"):
        server.hold = True
    server.publish("a", b"late")  # arrives before the UNSUBSCRIBE's reply
    server.hold = False
    server.answer()
    await asyncio.sleep(0.01)
    assert hub.listeners() == {}
    async with hub.subscribe("b") as messages:
        server.publish("b", b"fine")
        assert await take(messages, 1) == [b"fine"]
    assert len(server.connections) == 1


async def test_a_slow_listener_is_dropped_and_the_others_keep_their_messages(caplog):
    server = FakePubSub()
    hub = hub_of(server, queue_size=3)
    caplog.set_level(logging.WARNING)
    async with hub.subscribe("a") as slow, hub.subscribe("a") as fast:
        got = []
        for i in range(5):
            server.publish("a", b"%d" % i)
            got += await take(fast, 1)
        assert got == [b"0", b"1", b"2", b"3", b"4"]
        with pytest.raises(Unavailable, match="fell behind"):
            await take(slow, 1)  # ended at once, its queue discarded
        assert hub.listeners() == {"a": 1}
        server.publish("a", b"5")
        assert await take(fast, 1) == [b"5"]
    assert "sse_listener_dropped channel=a" in caplog.text


async def test_an_outage_ends_every_stream_and_the_next_subscriber_reconnects():
    server = FakePubSub()
    hub = hub_of(server)
    async with AsyncExitStack() as stack:
        streams = [await stack.enter_async_context(hub.subscribe(c)) for c in "aab"]
        server.hold = True
        waiting = asyncio.create_task(stack.enter_async_context(hub.subscribe("c")))
        await asyncio.sleep(0.01)
        server.break_all()
        for messages in streams:
            with pytest.raises(Unavailable):
                await take(messages, 1)
        with pytest.raises(Unavailable):
            await asyncio.wait_for(waiting, 2)
    server.hold = False
    async with hub.subscribe("a") as messages:
        server.publish("a", b"back")
        assert await take(messages, 1) == [b"back"]
    assert len(server.connections) == 2 and server.connections[0].closed


async def test_subscribers_while_the_store_is_down_share_one_attempt_and_get_unavailable():
    server = FakePubSub()
    server.down, server.slow = True, asyncio.Event()
    hub = hub_of(server)

    async def subscribe() -> None:
        async with hub.subscribe("a"):
            pass

    tries = [asyncio.create_task(subscribe()) for _ in range(5)]
    await asyncio.sleep(0.01)
    server.slow.set()
    results = await asyncio.gather(*tries, return_exceptions=True)
    assert [type(r) for r in results] == [Unavailable] * 5 and server.attempts == 1
    server.down = False
    async with hub.subscribe("a"):
        assert server.attempts == 2


async def test_a_subscription_the_server_never_confirms_is_unavailable():
    server = FakePubSub()
    server.hold = True
    hub = hub_of(server, confirm_timeout_s=0.05)
    with pytest.raises(Unavailable, match="confirm"):
        async with hub.subscribe("a"):
            pass
    server.hold = False
    async with hub.subscribe("a"):
        assert len(server.connections) == 2  # the silent connection was given up


async def test_an_event_room_rides_out_a_burst_beyond_the_stream_cap_that_drops_a_plain_listener():
    """The hub hands over everything its connection buffered in one go: a burst longer than
    the per-stream cap ends a plain listener, but the fan-out's room (one subscription for all
    of an event's streams) queues up to `ROOM_QUEUE_SIZE`, so its readers keep going."""
    server = FakePubSub()
    hub = hub_of(server, queue_size=3)
    fanout = ConflatingFanout(hub.subscribe, lambda raw: raw[:1], 0.01, Unavailable)
    async with fanout.watch("e") as batches, hub.subscribe("e") as plain:
        for i in range(50):  # no await between them: all queued before anyone reads
            server.publish("e", b"%c%d" % (ord("a") + i % 5, i))
        with pytest.raises(Unavailable, match="fell behind"):
            await take(plain, 1)
        latest: dict[bytes, bytes] = {}
        async with asyncio.timeout(2):
            while len(latest) < 5 or latest[b"e"] != b"e49":
                latest |= dict((await anext(batches)).items)
        assert latest == {b"a": b"a45", b"b": b"b46", b"c": b"c47", b"d": b"d48", b"e": b"e49"}
        assert hub.listeners() == {"e": 1}  # the room's subscription is still there
