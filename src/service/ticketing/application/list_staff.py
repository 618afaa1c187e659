"""Use case: the door staff of an event, for its seller (spec/tickets.md, rule 8)."""

from dataclasses import dataclass

from src.service.ticketing.application.door_access import sellers_event
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.user import Principal, User


@dataclass(frozen=True)
class ListStaff:
    """The accounts the seller added, in the order they were added."""

    uow: UnitOfWorkFactory
    layouts: EventLayouts

    async def __call__(self, principal: Principal, event_id: int) -> list[User]:
        """The staff. Raises `NotFound` (event), `Forbidden` (not the event's seller)."""
        sellers_event(await self.layouts(event_id), principal)
        async with self.uow() as uow:
            return await uow.door.staff(event_id)
