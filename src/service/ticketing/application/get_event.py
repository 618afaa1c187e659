"""Use case: one event with its per-subsection seat counts."""

from dataclasses import dataclass, replace

from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.errors import NotFound
from src.service.ticketing.domain.event import Event


@dataclass(frozen=True)
class GetEvent:
    """Public: the event with available/reserved/sold per subsection and the live counts at
    its door (spec/tickets.md, rule 11)."""

    uow: UnitOfWorkFactory

    async def __call__(self, event_id: int) -> Event:
        """The event; raises `NotFound`."""
        async with self.uow() as uow:
            event = await uow.events.get(event_id, with_stats=True)
            if event is None:
                raise NotFound("Event not found")
            return replace(event, attendance=await uow.door.attendance(event_id))
