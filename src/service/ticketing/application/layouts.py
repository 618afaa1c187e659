"""Event layouts, cached: the accept path reads an event's layout on every booking."""

from dataclasses import dataclass, field

from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.errors import NotFound
from src.service.ticketing.domain.event import Event


@dataclass
class EventLayouts:
    """`await layouts(event_id)`: the event without stats. Layouts never change after
    creation, so each event is read from PostgreSQL once per process."""

    uow: UnitOfWorkFactory
    _cache: dict[int, Event] = field(default_factory=dict)

    async def __call__(self, event_id: int) -> Event:
        """The event; raises `NotFound`."""
        event = self._cache.get(event_id)
        if event is None:
            async with self.uow() as uow:
                event = await uow.events.get(event_id)
            if event is None:
                raise NotFound("Event not found")
            self._cache[event_id] = event
        return event
