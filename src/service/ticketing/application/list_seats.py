"""Use case: every seat of one subsection with its status."""

from dataclasses import dataclass

from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.errors import NotFound
from src.service.ticketing.domain.ticket import Ticket


@dataclass(frozen=True)
class ListSeats:
    """Public: the tickets of one subsection, row by row."""

    uow: UnitOfWorkFactory
    layouts: EventLayouts

    async def __call__(self, event_id: int, section: str, subsection: int) -> list[Ticket]:
        """The seats; raises `NotFound` for an unknown event, section or subsection."""
        event = await self.layouts(event_id)
        found = event.seating_config.section(section)
        if found is None or not 1 <= subsection <= found.subsections:
            raise NotFound("Section or subsection not found")
        async with self.uow() as uow:
            return await uow.events.seats(event_id, section, subsection)
