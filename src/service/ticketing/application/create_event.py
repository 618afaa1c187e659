"""Use case: a seller creates an event with its seating layout."""

from dataclasses import dataclass

from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.errors import Forbidden, InvalidRequest
from src.service.ticketing.domain.event import Event
from src.service.ticketing.domain.seating import MAX_SEATS_PER_EVENT, parse_seating_config
from src.service.ticketing.domain.user import Principal, Role


@dataclass(frozen=True)
class EventDraft:
    """What a seller sends to create an event; `seating_config` is the compact layout,
    validated by `parse_seating_config`."""

    name: str
    description: str
    venue_name: str
    seating_config: object
    is_active: bool = True


@dataclass(frozen=True)
class CreateEvent:
    """Store the event, one available ticket per seat and zeroed stats, in one transaction.
    Its seat map in Kvrocks is the reservation service's: it is created by the first command
    for each subsection (spec/architecture.md, "Ownership")."""

    uow: UnitOfWorkFactory
    max_seats: int = MAX_SEATS_PER_EVENT  # TICKETING_MAX_SEATS_PER_EVENT

    async def __call__(self, principal: Principal, draft: EventDraft) -> Event:
        """The event with its stats. Raises `Forbidden`, `InvalidRequest` (also for more than
        `max_seats` seats)."""
        if principal.role is not Role.SELLER:
            raise Forbidden("Only sellers can create events")
        if not draft.name.strip():
            raise InvalidRequest("Event name must not be empty")
        config = parse_seating_config(draft.seating_config)
        if config.total_seats > self.max_seats:
            raise InvalidRequest(f"An event may have at most {self.max_seats} seats")
        async with self.uow() as uow:
            stored = await uow.events.add(
                principal.user_id, draft.name.strip(), draft.description, draft.venue_name,
                config, draft.is_active,
            )
            event = await uow.events.get(stored.id, with_stats=True)
        assert event is not None, "the event was stored in this transaction"
        return event
