"""Use case: the seller adds door staff to an event (spec/tickets.md, rule 8)."""

from dataclasses import dataclass

from src.service.ticketing.application.door_access import sellers_event
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.errors import InvalidRequest, NotFound
from src.service.ticketing.domain.user import Principal, User


@dataclass(frozen=True)
class AddStaff:
    """Any registered account may be door staff; adding it twice changes nothing."""

    uow: UnitOfWorkFactory
    layouts: EventLayouts

    async def __call__(self, principal: Principal, event_id: int, email: str) -> User:
        """The staff member. Raises `NotFound` (event, or no account with the e-mail),
        `Forbidden` (not the event's seller), `InvalidRequest` (the seller themself)."""
        sellers_event(await self.layouts(event_id), principal)
        async with self.uow() as uow:
            user = await uow.users.by_email(email.strip().lower())
            if user is None:
                raise NotFound("No account with this email")
            if user.id == principal.user_id:
                raise InvalidRequest("The seller works the door of their events already")
            await uow.door.add_staff(event_id, user.id)
        return user
