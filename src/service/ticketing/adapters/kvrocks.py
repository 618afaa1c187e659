"""Kvrocks adapters: the fail-fast read of seat bits and counters, pub/sub out, and the
connection the SSE streams' pub/sub hub listens on (`pubsub_hub.py`).

Seat bits are read with BITFIELD u1 only (spec/architecture.md, "Kvrocks rules"); the seat-map
keys belong to the reservation service, which alone writes them ("Ownership"). Every error of
`src.platform.kvrocks.UNAVAILABLE` is raised as `Unavailable` (HTTP 503).
"""

import math
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection

from src.platform.batching import Coalescer
from src.platform.kvrocks import UNAVAILABLE, create_pubsub_connection
from src.platform.settings import KvrocksSettings
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

HUB_NAME = "ticketing-sse-hub"  # the hub's connection in CLIENT LIST


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


class RedisPubSubLink:
    """The `PubSubLink` of `pubsub_hub.StatusHub` over redis-py: one connection of its own,
    outside the command pool, named `HUB_NAME` in `CLIENT LIST`. It never reconnects by
    itself: once it failed, the hub opens a new one (and its streams start over)."""

    def __init__(self, connection: AbstractConnection) -> None:
        self._connection = connection

    @classmethod
    async def open(cls, settings: KvrocksSettings) -> "RedisPubSubLink":
        """Connected; raises `Unavailable` when the store cannot be reached."""
        connection = create_pubsub_connection(settings, HUB_NAME)
        try:
            await connection.connect()
        except UNAVAILABLE as e:
            await connection.disconnect(nowait=True)
            raise Unavailable("pub/sub unavailable") from e
        return cls(connection)

    async def send(self, commands: Sequence[tuple[str, str]]) -> None:
        """Write the commands in one go, in order; raises `Unavailable`."""
        self._connected()
        try:
            await self._connection.send_packed_command(
                self._connection.pack_commands(commands), check_health=False)
        except UNAVAILABLE as e:
            raise Unavailable("pub/sub unavailable") from e

    async def read(self) -> tuple[str, str, bytes]:
        """The next push, waiting as long as it takes; raises `Unavailable`."""
        self._connected()
        try:
            reply = await self._connection.read_response(timeout=math.inf)
        except UNAVAILABLE as e:
            raise Unavailable("pub/sub unavailable") from e
        match reply:
            case [bytes() as kind, bytes() as channel, data]:
                payload = data if isinstance(data, bytes) else b""
                return kind.decode(), channel.decode(), payload
        raise Unavailable(f"pub/sub: unexpected reply {reply!r:.80}")

    async def aclose(self) -> None:
        """Close the connection."""
        await self._connection.disconnect(nowait=True)

    def _connected(self) -> None:
        # redis-py would connect again on its own, without the subscriptions.
        if not self._connection.is_connected:
            raise Unavailable("pub/sub connection lost")
