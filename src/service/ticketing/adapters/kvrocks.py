"""Kvrocks adapters: the fail-fast read of seat bits and counters, pub/sub out and in.

Seat bits are read with BITFIELD u1 only (spec/architecture.md, "Kvrocks rules"); the seat-map
keys belong to the reservation service, which alone writes them ("Ownership"). Every error of
`src.platform.kvrocks.UNAVAILABLE` is raised as `Unavailable` (HTTP 503).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from src.platform.batching import Coalescer
from src.platform.kvrocks import UNAVAILABLE
from src.service.contract import (
    AttendanceUpdate,
    BookingStatusUpdate,
    SubsectionState,
    avail_key,
    booking_status_channel,
    encode,
    event_state_channel,
    seats_key,
)
from src.service.ticketing.application.ports import Unavailable


class RedisSeatInventory:
    """Availability counters and seat bits per subsection. Concurrent `check`s share one
    pipeline (one round trip for a whole burst of requests)."""

    def __init__(self, client: Redis) -> None:
        self._client = client
        self._checks: Coalescer[tuple[str, list[int]], tuple[int | None, list[bool]]] = (
            Coalescer(self._check_many)
        )

    async def check(self, tag: str, seat_indexes: list[int]) -> tuple[int | None, list[bool]]:
        """(free seats, or None without a counter yet; taken per index), in one round trip
        shared with every concurrent check."""
        return await self._checks.submit((tag, seat_indexes))

    async def _check_many(
        self, checks: list[tuple[str, list[int]]]
    ) -> list[tuple[int | None, list[bool]]]:
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for tag, seat_indexes in checks:
                    pipe.get(avail_key(tag))
                    if seat_indexes:
                        args: list[str] = []
                        for i in seat_indexes:
                            args += ["GET", "u1", f"#{i}"]
                        pipe.execute_command("BITFIELD", seats_key(tag), *args)
                replies = iter(await pipe.execute())
        except UNAVAILABLE as e:
            raise Unavailable("seat store unavailable") from e
        results: list[tuple[int | None, list[bool]]] = []
        for _, seat_indexes in checks:
            counter = next(replies)
            available = None if counter is None else int(counter)
            taken = [bool(b) for b in next(replies)] if seat_indexes else []
            results.append((available, taken))
        return results


class RedisStatusNotifier:
    """Publishes booking status and subsection counts on their pub/sub channels."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    async def booking_status(self, update: BookingStatusUpdate) -> None:
        """Publish on `booking:status:{buyer}:{event}`; raises `Unavailable`."""
        await self._publish(booking_status_channel(update.buyer_id, update.event_id),
                            encode(update))

    async def subsection_state(self, state: SubsectionState) -> None:
        """Publish on `event_state_updates:{event}`; raises `Unavailable`."""
        await self._publish(event_state_channel(state.event_id), encode(state))

    async def attendance(self, update: AttendanceUpdate) -> None:
        """Publish the door's counts on `event_state_updates:{event}`; raises `Unavailable`."""
        await self._publish(event_state_channel(update.event_id), encode(update))

    async def _publish(self, channel: str, payload: bytes) -> None:
        try:
            await self._client.publish(channel, payload)
        except UNAVAILABLE as e:
            raise Unavailable("pub/sub unavailable") from e


class RedisStatusFeed:
    """Pub/sub subscriptions for the SSE streams."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
        """Subscribed (confirmed by the server) before it yields the message iterator; raises
        `Unavailable` when the store cannot be reached (also while iterating)."""
        pubsub = self._client.pubsub()
        try:
            try:
                await pubsub.subscribe(channel)
                # Wait for the server's confirmation: only then is nothing published later
                # missed.
                while await pubsub.get_message(timeout=5.0) is None:
                    pass
            except UNAVAILABLE as e:
                raise Unavailable("pub/sub unavailable") from e
            yield _messages(pubsub)
        finally:
            await pubsub.aclose()


async def _messages(pubsub: PubSub) -> AsyncIterator[bytes]:
    try:
        async for message in pubsub.listen():
            if message["type"] == "message":
                yield message["data"]
    except UNAVAILABLE as e:
        raise Unavailable("pub/sub unavailable") from e
