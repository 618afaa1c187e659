"""Event layouts, cached: the accept path reads an event's layout on every booking."""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.errors import NotFound
from src.service.ticketing.domain.event import Event


@dataclass
class EventLayouts:
    """`await layouts(event_id)`: the event without stats. Its seller never changes after
    creation; its status does (spec/tickets.md, rule 18), and so may its prices, sale window
    and per-buyer limits (spec/booking.md, rules 10–13), so an entry older than
    `status_ttl_s` seconds (by `monotonic`) is read again from PostgreSQL. A change therefore
    reaches every process within `status_ttl_s` (the process that made it at once, by
    `forget`), at the price of one read per event, process and `status_ttl_s`, never one per
    booking: concurrent callers of an expired entry share one read."""

    uow: UnitOfWorkFactory
    status_ttl_s: float = 1.0
    monotonic: Callable[[], float] = time.monotonic
    _cache: dict[int, tuple[Event, float]] = field(default_factory=dict)
    _reading: dict[int, asyncio.Future[Event]] = field(default_factory=dict)

    async def __call__(self, event_id: int) -> Event:
        """The event; raises `NotFound`, `Unavailable` (PostgreSQL down)."""
        cached = self._cache.get(event_id)
        if cached is not None and self.monotonic() - cached[1] < self.status_ttl_s:
            return cached[0]
        reading = self._reading.get(event_id)
        if reading is not None:
            return await asyncio.shield(reading)
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._reading[event_id] = future
        try:
            event = await self._read(event_id)
        except BaseException as e:
            future.set_exception(e)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            del self._reading[event_id]
        future.set_result(event)
        return event

    async def _read(self, event_id: int) -> Event:
        async with self.uow() as uow:
            event = await uow.events.get(event_id)
        if event is None:
            raise NotFound("Event not found")
        self._cache[event_id] = (replace(event, stats=()), self.monotonic())
        return event

    def forget(self, event_id: int) -> None:
        """Drop the cached entry: this process changed the event's status."""
        self._cache.pop(event_id, None)
