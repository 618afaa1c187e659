"""Kvrocks adapters: seat bits and counters (read and initialise), pub/sub out and in.

Seat bits are read with BITFIELD u1 only (DESIGN.md §6); the reservation service owns every
write to them after an event is opened.
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
    alloc_key,
    avail_key,
    booking_status_channel,
    cursor_key,
    encode,
    event_state_channel,
    seats_key,
    subsection_tag,
)
from src.service.ticketing.application.ports import Unavailable
from src.service.ticketing.domain.event import Event

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


def _tags(event: Event) -> list[str]:
    return [
        subsection_tag(event.id, s.name, n)
        for s in event.seating_config.sections
        for n in range(1, s.subsections + 1)
    ]


class RedisSeatInventory:
    """Availability counters and seat bits per subsection. Concurrent `check`s share one
    pipeline (one round trip for a whole burst of requests)."""

    def __init__(self, client: Redis) -> None:
        self._client = client
        self._checks: Coalescer[tuple[str, list[int]], tuple[int, list[bool]]] = Coalescer(
            self._check_many
        )

    async def open_event(self, event: Event) -> None:
        seats = event.seating_config.seats_per_subsection
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for tag in _tags(event):
                    pipe.delete(seats_key(tag), alloc_key(tag), cursor_key(tag))
                    pipe.set(avail_key(tag), seats)
                await pipe.execute()
        except REDIS_DOWN as e:
            raise Unavailable("seat store unavailable") from e

    async def close_event(self, event: Event) -> None:
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for tag in _tags(event):
                    pipe.delete(seats_key(tag), alloc_key(tag), avail_key(tag), cursor_key(tag))
                await pipe.execute()
        except REDIS_DOWN as e:
            raise Unavailable("seat store unavailable") from e

    async def check(self, tag: str, seat_indexes: list[int]) -> tuple[int, list[bool]]:
        return await self._checks.submit((tag, seat_indexes))

    async def _check_many(
        self, checks: list[tuple[str, list[int]]]
    ) -> list[tuple[int, list[bool]]]:
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
        results = []
        for _, seat_indexes in checks:
            available = int(next(replies) or 0)
            taken = [bool(b) for b in next(replies)] if seat_indexes else []
            results.append((available, taken))
        return results


class RedisStatusNotifier:
    """Publishes booking status and subsection counts on their pub/sub channels."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    async def booking_status(self, update: BookingStatusUpdate) -> None:
        channel = booking_status_channel(update.buyer_id, update.event_id)
        await self._client.publish(channel, encode(update))

    async def subsection_state(self, state: SubsectionState) -> None:
        await self._client.publish(event_state_channel(state.event_id), encode(state))


class RedisStatusFeed:
    """Pub/sub subscriptions for the SSE streams."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
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
