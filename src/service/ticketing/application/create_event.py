"""Use case: a seller creates an event with its seating layout."""

from dataclasses import dataclass

from src.service.lifecycle import EVENT_CREATED_AS, EVENT_CREATED_DEFAULT, EventStatus, values
from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.errors import Forbidden, InvalidRequest
from src.service.ticketing.domain.event import Event, check_hold_seconds
from src.service.ticketing.domain.refund_policy import EventTerms, check_terms
from src.service.ticketing.domain.sales import SalesPolicy, check_sales
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
    terms: EventTerms | None = None  # dates and refunds; None keeps the defaults
    status: str | None = None  # `draft` or `on_sale`; None is `on_sale` (spec/tickets.md, rule 18)
    hold_seconds: int | None = None  # payment deadline; None: none (spec/booking.md, rule 6)
    sales: SalesPolicy = SalesPolicy()  # window and per-buyer limits (spec/booking.md, 10–12)


def initial_status(asked: str | None) -> EventStatus:
    """What a new event starts as: `draft` or `on_sale`, `on_sale` when not asked
    (spec/tickets.md, rule 18); raises `InvalidRequest` for anything else."""
    if asked is None:
        return EVENT_CREATED_DEFAULT
    allowed = values(EVENT_CREATED_AS)
    if asked not in allowed:
        raise InvalidRequest(f"An event is created as {' or '.join(allowed)}, not '{asked[:32]}'")
    return EventStatus(asked)


@dataclass(frozen=True)
class CreateEvent:
    """Store the event, one available ticket per seat and zeroed stats, in one transaction.
    Its seat map in Kvrocks is the reservation service's: it is created by the first command
    for each subsection (spec/architecture.md, "Ownership")."""

    uow: UnitOfWorkFactory
    max_seats: int = MAX_SEATS_PER_EVENT  # TICKETING_MAX_SEATS_PER_EVENT

    async def __call__(self, principal: Principal, draft: EventDraft) -> Event:
        """The event with its stats. Raises `Forbidden`, `InvalidRequest` (also for more than
        `max_seats` seats, or a `hold_seconds` out of range: spec/booking.md, rule 6)."""
        if principal.role is not Role.SELLER:
            raise Forbidden("Only sellers can create events")
        if not draft.name.strip():
            raise InvalidRequest("Event name must not be empty")
        config = parse_seating_config(draft.seating_config)
        if config.total_seats > self.max_seats:
            raise InvalidRequest(f"An event may have at most {self.max_seats} seats")
        terms = check_terms(draft.terms) if draft.terms is not None else None
        sales = check_sales(draft.sales)
        status = initial_status(draft.status)
        hold_seconds = check_hold_seconds(draft.hold_seconds)
        async with self.uow() as uow:
            stored = await uow.events.add(
                principal.user_id, draft.name.strip(), draft.description, draft.venue_name,
                config, draft.is_active, status, hold_seconds=hold_seconds,
            )
            if terms is not None:
                await uow.event_terms.set(stored.id, terms)
            if sales != SalesPolicy():
                await uow.event_terms.set_sales(stored.id, sales)
            event = await uow.events.get(stored.id, with_stats=True)
        assert event is not None, "the event was stored in this transaction"
        return event
