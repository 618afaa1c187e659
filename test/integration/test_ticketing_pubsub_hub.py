"""The SSE streams' pub/sub hub against the real redis-server: one connection for every stream
of the process, each stream its own messages in order, nothing published after `subscribe`
returned is missed (also by a stream reading its current state), outages, and the last
unsubscribe racing a new subscribe (spec/security.md, "Stream caps"; spec/architecture.md,
guarantee 6)."""

import asyncio
import dataclasses
import uuid
from contextlib import AsyncExitStack

import httpx
import pytest
from starlette.requests import Request

from src.service.contract import BookingStatusUpdate, SubsectionState
from src.service.lifecycle import BookingStatus
from src.service.ticketing.adapters.kvrocks import (
    HUB_NAME,
    RedisPubSubLink,
    RedisSeatInventory,
    RedisStatusNotifier,
)
from src.service.ticketing.adapters.pubsub_hub import StatusHub
from src.service.ticketing.application.create_booking import BookingRequest
from src.service.ticketing.application.ports import Unavailable
from src.service.ticketing.domain.booking import SeatSelectionMode
from src.service.ticketing.entrypoints.http import create_app
from src.service.ticketing.entrypoints.sse import event_updates
from test.integration.test_ticketing_adapters import SHOW, principals, service
from test.integration.test_ticketing_outages import bearer


@pytest.fixture
async def hub(kvrocks_settings):
    hub = StatusHub(lambda: RedisPubSubLink.open(kvrocks_settings))
    yield hub
    await hub.aclose()


def fresh_channel() -> str:
    return f"test:hub:{uuid.uuid4()}"


async def subscribers(redis) -> list[tuple[str, str]]:
    """(name, channels subscribed) of every connection of the server that subscribes."""
    return [(c["name"], c["sub"]) for c in await redis.client_list() if c["sub"] != "0"]


async def eventually(check, what: str, timeout: float = 5.0) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not await check():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"not within {timeout} s: {what}") from None


async def unsubscribed(redis, hub: StatusHub, channels: list[str]) -> None:
    async def gone() -> bool:
        counts = await redis.pubsub_numsub(*channels)
        return hub.listeners() == {} and all(n == 0 for _, n in counts)
    await eventually(gone, "every channel unsubscribed")


async def test_200_streams_over_50_channels_share_one_connection_each_in_order(hub, redis):
    channels = [fresh_channel() for _ in range(50)]
    async with AsyncExitStack() as stack:
        streams = await asyncio.gather(*(
            stack.enter_async_context(hub.subscribe(channels[i % 50])) for i in range(200)))
        assert await subscribers(redis) == [(HUB_NAME, "50")]
        assert [n for _, n in await redis.pubsub_numsub(*channels)] == [1] * 50
        async with redis.pipeline(transaction=False) as pipe:
            for k in range(5):
                for channel in channels:
                    pipe.publish(channel, f"{channel}|{k}")
            for channel in channels:
                pipe.publish(channel, "end")
            assert await pipe.execute() == [1] * 300  # one receiver each: the hub
        async with asyncio.timeout(10):
            for i, messages in enumerate(streams):
                channel = channels[i % 50]
                got = [(await anext(messages)).decode() for _ in range(6)]
                assert got == [f"{channel}|{k}" for k in range(5)] + ["end"]
    await unsubscribed(redis, hub, channels)


async def test_what_is_published_once_subscribe_returned_is_heard_by_every_joiner(hub, redis):
    channel = fresh_channel()
    heard: dict[int, set[str]] = {}

    async def join(i: int, stack: AsyncExitStack) -> None:
        messages = await stack.enter_async_context(hub.subscribe(channel))
        await redis.publish(channel, str(i))  # right after `subscribe` returned

        async def listen() -> None:
            heard[i] = set()
            while (message := (await anext(messages)).decode()) != "end":
                heard[i].add(message)
        stack.push_async_callback(asyncio.wait_for, asyncio.create_task(listen()), 10)

    async with AsyncExitStack() as stack:
        # Joiners arrive before, while and after the first SUBSCRIBE is in flight.
        await asyncio.gather(*(join(i, stack) for i in range(100)))
        await redis.publish(channel, "end")
    assert all(str(i) in heard[i] for i in range(100))
    await unsubscribed(redis, hub, [channel])


async def test_an_update_published_while_a_stream_reads_its_state_is_delivered(
    pg_pool, redis, hub
):
    seller, buyer = await principals(pg_pool)
    svc = dataclasses.replace(service(pg_pool, RedisSeatInventory(redis)), feed=hub)
    event = await svc.create_event(seller, SHOW)
    booking = (await svc.create_booking(buyer, BookingRequest(
        event.id, "A", 1, 1, SeatSelectionMode.BEST_AVAILABLE, []))).booking
    read_state = svc.get_booking

    async def settled_meanwhile(caller, booking_id):
        # Inside the window: subscribed, current state not read yet.
        await RedisStatusNotifier(redis).booking_status(BookingStatusUpdate(
            booking_id=booking.id, buyer_id=buyer.user_id, event_id=event.id,
            status=BookingStatus.FAILED, reason="Seats taken"))
        return await read_state(caller, booking_id)

    svc = dataclasses.replace(svc, get_booking=settled_meanwhile)
    transport = httpx.ASGITransport(app=create_app(svc))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        async with asyncio.timeout(10):  # a missed update would leave the stream open
            response = await client.get(
                f"/api/booking/event/{event.id}/sse?booking_id={booking.id}",
                headers=bearer(svc, buyer.user_id))
    assert response.status_code == 200
    statuses = [line for line in response.text.splitlines() if line.startswith("data:")]
    assert ['"processing"' in statuses[0], '"failed"' in statuses[1]] == [True, True]
    assert "event: close" in response.text


async def test_seat_counts_published_while_an_event_stream_reads_the_event_are_delivered(
    pg_pool, redis, hub
):
    seller, _ = await principals(pg_pool)
    svc = dataclasses.replace(service(pg_pool, RedisSeatInventory(redis)), feed=hub)
    event = await svc.create_event(seller, SHOW)
    read_state = svc.get_event
    counts = SubsectionState(event_id=event.id, section="A", subsection=1, available=0,
                             reserved=7, sold=3)

    async def changed_meanwhile(event_id):
        # Inside the window: subscribed (through the fan-out), the event not read yet.
        await RedisStatusNotifier(redis).subsection_state(counts)
        return await read_state(event_id)

    svc = dataclasses.replace(svc, get_event=changed_meanwhile)
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [],
                       "client": ("127.0.0.1", 50000), "query_string": b""})
    # Called directly: the test transport of httpx buffers a response until it ends.
    response = await event_updates(event.id, svc, request)
    frames = response.body_iterator
    try:
        async with asyncio.timeout(10):  # a missed update: no second frame
            first, second = await anext(frames), await anext(frames)
    finally:
        await frames.aclose()
    assert first["event"] == "initial_status"
    assert second == (b"event: status_update\r\ndata: " + counts.model_dump_json().encode()
                      + b"\r\n\r\n")
    await unsubscribed(redis, hub, [f"event_state_updates:{event.id}"])


async def test_an_outage_ends_every_stream_and_later_subscribers_get_a_new_connection(
    hub, redis
):
    channels = [fresh_channel() for _ in range(3)]
    async with AsyncExitStack() as stack:
        streams = [await stack.enter_async_context(hub.subscribe(channels[i % 3]))
                   for i in range(10)]
        before = {c["id"] for c in await redis.client_list() if c["name"] == HUB_NAME}
        assert await redis.client_kill_filter(_type="pubsub") == 1
        async with asyncio.timeout(5):
            for messages in streams:
                with pytest.raises(Unavailable):
                    await anext(messages)
    async with hub.subscribe(channels[0]) as messages:
        await redis.publish(channels[0], "back")
        assert await asyncio.wait_for(anext(messages), 5) == b"back"
        after = {c["id"] for c in await redis.client_list() if c["name"] == HUB_NAME}
        assert len(after) == 1 and after != before
        assert await subscribers(redis) == [(HUB_NAME, "1")]


async def test_the_last_unsubscribe_racing_a_new_subscribe_of_the_channel(hub, redis):
    channel = fresh_channel()
    for i in range(60):
        async with hub.subscribe(channel):
            pass
        for _ in range(i % 3):  # 0: UNSUBSCRIBE not written yet; 1, 2: written, in flight
            await asyncio.sleep(0)
        async with hub.subscribe(channel) as messages:
            assert await redis.publish(channel, str(i)) == 1
            assert await asyncio.wait_for(anext(messages), 5) == str(i).encode()
    await unsubscribed(redis, hub, [channel])
    assert len([c for c in await redis.client_list() if c["name"] == HUB_NAME]) == 1
