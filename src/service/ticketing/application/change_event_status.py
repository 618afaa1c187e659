"""Use case: the seller moves an event along its lifecycle (spec/tickets.md, rule 18)."""

from dataclasses import dataclass

from src.service.lifecycle import CANCEL_EVENT, EventStatus, event_transition_to, values
from src.service.ticketing.application.door_access import sellers_event
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.errors import InvalidRequest, NotFound
from src.service.ticketing.domain.event import Event
from src.service.ticketing.domain.user import Principal

SELLER_ONLY = "Only the seller of this event can change it"


def wanted_status(asked: str) -> EventStatus:
    """The status asked for; raises `InvalidRequest` for an unknown one, and for
    `cancelled`, which has its own endpoint (its bookings are cancelled or refunded)."""
    if asked not in values(EventStatus):
        known = ", ".join(values(EventStatus))
        raise InvalidRequest(f"Unknown event status '{asked[:32]}': expected one of {known}")
    if asked == CANCEL_EVENT.target:
        raise InvalidRequest("An event is cancelled with POST /api/event/{id}/cancel")
    return EventStatus(asked)


@dataclass(frozen=True)
class ChangeEventStatus:
    """`draft → on_sale` (publish), `on_sale → closed`, `closed → ended`: a compare-and-set
    on the status read (`lifecycle.EVENT_TRANSITIONS`). Asking for the status the event is
    in changes nothing. Other processes' layout caches see the change within their TTL."""

    uow: UnitOfWorkFactory
    layouts: EventLayouts

    async def __call__(self, principal: Principal, event_id: int, asked: str) -> Event:
        """The event with its stats. Raises `NotFound`, `Forbidden` (not its seller),
        `InvalidRequest` (unknown status, or no transition from the current one)."""
        sellers_event(await self.layouts(event_id), principal, SELLER_ONLY)
        wanted = wanted_status(asked)
        lost = False
        async with self.uow() as uow:
            event = await uow.events.get(event_id)
            if event is None:
                raise NotFound("Event not found")
            if event.status is not wanted:
                transition = event_transition_to(event.status, wanted)
                if transition is None:
                    raise InvalidRequest(f"An event cannot go from {event.status} to {wanted}")
                lost = not await uow.events.move(event_id, transition)
            updated = await uow.events.get(event_id, with_stats=True)
        self.layouts.forget(event_id)
        if lost:  # its status changed between the read and the write: judged again by it
            return await self(principal, event_id, asked)
        assert updated is not None, "the event was just read"
        return updated
