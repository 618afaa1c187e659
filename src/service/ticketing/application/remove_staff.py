"""Use case: the seller removes door staff from an event (spec/tickets.md, rule 8)."""

from dataclasses import dataclass

from src.service.ticketing.application.door_access import sellers_event
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.errors import NotFound
from src.service.ticketing.domain.user import Principal


@dataclass(frozen=True)
class RemoveStaff:
    """From then on the account's scans for the event are refused (403)."""

    uow: UnitOfWorkFactory
    layouts: EventLayouts

    async def __call__(self, principal: Principal, event_id: int, email: str) -> None:
        """Raises `NotFound` (event, or the account is not door staff of it), `Forbidden`
        (not the event's seller)."""
        sellers_event(await self.layouts(event_id), principal)
        async with self.uow() as uow:
            user = await uow.users.by_email(email.strip().lower())
            removed = user is not None and await uow.door.remove_staff(event_id, user.id)
        if not removed:
            raise NotFound("No door staff of this event with this email")
