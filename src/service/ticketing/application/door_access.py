"""Who may work the door of an event, and who may choose them (spec/tickets.md, rule 8)."""

from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.errors import Forbidden
from src.service.ticketing.domain.event import Event
from src.service.ticketing.domain.user import Principal

DOOR_ONLY = "Only door staff of this event can check tickets in"
SELLER_ONLY = "Only the seller of this event can manage its door staff"


def sellers_event(event: Event, principal: Principal, refusal: str = SELLER_ONLY) -> Event:
    """The event if `principal` is its seller; raises `Forbidden(refusal)`."""
    if event.seller_id != principal.user_id:
        raise Forbidden(refusal)
    return event


async def door_event(
    uow: UnitOfWorkFactory, layouts: EventLayouts, principal: Principal, event_id: int
) -> Event:
    """The event if `principal` is its seller or door staff the seller added; raises
    `NotFound` for an unknown event and `Forbidden` otherwise."""
    event = await layouts(event_id)
    if event.seller_id == principal.user_id:
        return event
    async with uow() as unit:
        allowed = await unit.door.is_staff(event_id, principal.user_id)
    if not allowed:
        raise Forbidden(DOOR_ONLY)
    return event
