"""Use case: the seller changes an event (`PATCH /api/event/{id}`): details, dates and refund
settings (spec/tickets.md, rule 13), on-sale rules and prices (spec/booking.md, rules
10–13)."""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from src.service.ticketing.application.door_access import sellers_event
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.ports import UnitOfWork, UnitOfWorkFactory
from src.service.ticketing.domain.errors import InvalidRequest, NotFound
from src.service.ticketing.domain.event import Event, check_hold_seconds
from src.service.ticketing.domain.refund_policy import EventTerms, check_terms
from src.service.ticketing.domain.sales import SalesPolicy, check_sales
from src.service.ticketing.domain.seating import MAX_SEATS_PER_EVENT, parse_seating_config
from src.service.ticketing.domain.user import Principal

SELLER_ONLY = "Only the seller of this event can change it"
LAYOUT_LOCKED = "The seating layout cannot change after the first booking; prices can"
DETAILS = frozenset({"name", "description", "venue_name"})
# The payment deadline of bookings held from now on (spec/booking.md, rule 6).
POLICIES = frozenset({"hold_seconds"})
# The per-buyer limits (rules 11–12): turning them on or off remakes the event's counters.
LIMITS = frozenset({"max_tickets_per_buyer", "one_open_booking_per_buyer"})


def _names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))


# Every name a change may carry: a field of the event itself, of its terms or of its sales
# policy. A new setting of either dataclass can be changed by naming it here for free.
_TERMS, _SALES = _names(EventTerms), _names(SalesPolicy)
CHANGEABLE = DETAILS | POLICIES | _TERMS | _SALES


@dataclass(frozen=True)
class EventChange:
    """What a seller changes; only what is given changes. `fields` maps names in `CHANGEABLE`
    to new values (a `tiers` of `DEFAULT_TIERS` puts back the default refund policy);
    `prices` maps section names to new prices (minor units); `seating_config` is a new compact
    layout, taken only before the first booking. Raises `ValueError` for a name outside
    `CHANGEABLE` (a bug of the caller, never the client's input)."""

    fields: Mapping[str, object] = field(default_factory=dict)
    prices: Mapping[str, int] = field(default_factory=dict)
    seating_config: object | None = None

    def __post_init__(self) -> None:
        unknown = set(self.fields) - CHANGEABLE
        if unknown:
            raise ValueError(f"not changeable: {sorted(unknown)}")

    def applied_to(self, event: Event) -> Event:
        """The event after this change, not yet checked (`check_event`)."""
        def pick(names: frozenset[str]) -> dict[str, Any]:  # values are checked afterwards
            return {k: v for k, v in self.fields.items() if k in names}
        config = (event.seating_config if self.seating_config is None
                  else parse_seating_config(self.seating_config))
        return replace(
            event, stats=(), **pick(DETAILS), **pick(POLICIES),
            terms=replace(event.terms, **pick(_TERMS)),
            sales=replace(event.sales, **pick(_SALES)), seating_config=config.repriced(self.prices))


def check_event(event: Event, max_seats: int = MAX_SEATS_PER_EVENT) -> Event:
    """An event as changed, checked like a new one (spec/booking.md, rule 13); raises
    `InvalidRequest`. Returns it with the name stripped and the refund tiers sorted."""
    name = event.name.strip()
    if not name:
        raise InvalidRequest("Event name must not be empty")
    if event.seating_config.total_seats > max_seats:
        raise InvalidRequest(f"An event may have at most {max_seats} seats")
    return replace(event, name=name, terms=check_terms(event.terms),
                   sales=check_sales(event.sales),
                   hold_seconds=check_hold_seconds(event.hold_seconds))


@dataclass(frozen=True)
class UpdateEvent:
    """Lock the event's row, merge the change into the event as PostgreSQL has it, check the
    result, store what changed. The lock makes the read and the write one step against a
    concurrent change and against a first booking (whose insert waits for the lock), so a new
    layout is refused once any booking exists. A new price reaches the bookings made after
    it (on every process within the event cache's TTL); bookings made before keep theirs. A
    new `hold_seconds` applies to bookings held after it; a deadline already set stays.
    A change that names a per-buyer limit first freezes every booking write (a short
    `LOCK TABLE`), so that turning limits on counts the bookings already made, exactly,
    against none being made or moved meanwhile (spec/decisions.md, "Per-buyer limits are
    counted in buyer_holdings, kept by triggers")."""

    uow: UnitOfWorkFactory
    layouts: EventLayouts
    max_seats: int = MAX_SEATS_PER_EVENT  # TICKETING_MAX_SEATS_PER_EVENT

    async def __call__(self, principal: Principal, event_id: int, change: EventChange) -> Event:
        """The event with its stats, as changed. Raises `NotFound`, `Forbidden`,
        `InvalidRequest`."""
        sellers_event(await self.layouts(event_id), principal, SELLER_ONLY)
        async with self.uow() as uow:
            booked = await uow.event_terms.lock(
                event_id, freeze_bookings=not LIMITS.isdisjoint(change.fields))
            event = await uow.events.get(event_id)
            if booked is None or event is None:
                raise NotFound("Event not found")
            changed = check_event(change.applied_to(event), self.max_seats)
            reseat = not changed.seating_config.same_shape(event.seating_config)
            if reseat and booked:
                raise InvalidRequest(LAYOUT_LOCKED)
            await _store(uow, event, changed, reseat)
            updated = await uow.events.get(event_id, with_stats=True)
        assert updated is not None, "the event was just read"
        self.layouts.forget(event_id)
        return updated


async def _store(uow: UnitOfWork, old: Event, new: Event, reseat: bool) -> None:
    """Write the parts of `new` that differ from `old`."""
    repository = uow.event_terms
    if (new.name, new.description, new.venue_name) != (
            old.name, old.description, old.venue_name):
        await repository.set_details(new.id, new.name, new.description, new.venue_name)
    if new.terms != old.terms:
        await repository.set(new.id, new.terms)
    if new.sales != old.sales:
        await repository.set_sales(new.id, new.sales)
    if new.sales.limits_buyers != old.sales.limits_buyers:
        await repository.recount_holdings(new.id, new.sales.limits_buyers)
    if new.hold_seconds != old.hold_seconds:
        await repository.set_hold_seconds(new.id, new.hold_seconds)
    if new.seating_config != old.seating_config:
        await repository.set_layout(new.id, new.seating_config, reseat)
