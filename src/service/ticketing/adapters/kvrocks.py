"""Kvrocks adapters: the fail-fast read of seat bits and counters, pub/sub out and in.

Seat bits are read with BITFIELD u1 only (spec/architecture.md, "Kvrocks rules"); the seat-map
keys belong to the reservation service, which alone writes them ("Ownership").
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from src.platform.batching import Coalescer
from src.service.contract import (
    BookingStatusUpdate,
    SubsectionState,
    avail_key,
    booking_status_channel,
    encode,
    event_state_channel,
    seats_key,
)
from src.service.ticketing.application.ports import Unavailable

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


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
        except REDIS_DOWN as e:
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
        """Publish on `booking:status:{buyer}:{event}`."""
        channel = booking_status_channel(update.buyer_id, update.event_id)
        await self._client.publish(channel, encode(update))

    async def subsection_state(self, state: SubsectionState) -> None:
        """Publish on `event_state_updates:{event}`."""
        await self._client.publish(event_state_channel(state.event_id), encode(state))


class RedisStatusFeed:
    """Pub/sub subscriptions for the SSE streams."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
        """Subscribed (confirmed by the server) before it yields the message iterator."""
        pubsub = self._client.pubsub()
        try:
            await pubsub.subscribe(channel)
            # Wait for the server's confirmation: only then is nothing published later missed.
            while await pubsub.get_message(timeout=5.0) is None:
                pass
            yield _messages(pubsub)
        finally:
            await pubsub.aclose()


async def _messages(pubsub) -> AsyncIterator[bytes]:
    async for message in pubsub.listen():
        if message["type"] == "message":
            yield message["data"]
