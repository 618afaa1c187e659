"""Use case: the seller changes an event's dates or refund settings (spec/tickets.md,
rule 13)."""

from dataclasses import dataclass
from datetime import datetime

from src.service.ticketing.application.door_access import sellers_event
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.errors import NotFound
from src.service.ticketing.domain.event import Event
from src.service.ticketing.domain.refund_policy import EventTerms, RefundTier, check_terms
from src.service.ticketing.domain.user import Principal

SELLER_ONLY = "Only the seller of this event can change it"


@dataclass(frozen=True)
class TermsChange:
    """The terms a seller sends; only the names in `given` change, the others stay. A given
    `tiers` of None puts back the default refund policy."""

    given: frozenset[str]
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    refunds_enabled: bool = True
    tiers: tuple[RefundTier, ...] | None = None
    timezone: str | None = None

    def applied_to(self, current: EventTerms) -> EventTerms:
        """The terms after this change."""
        given = self.given
        tiers = self.tiers if self.tiers is not None else EventTerms().tiers
        return EventTerms(
            starts_at=self.starts_at if "starts_at" in given else current.starts_at,
            ends_at=self.ends_at if "ends_at" in given else current.ends_at,
            refunds_enabled=(self.refunds_enabled if "refunds_enabled" in given
                             else current.refunds_enabled),
            tiers=tiers if "tiers" in given else current.tiers,
            timezone=self.timezone if "timezone" in given else current.timezone,
        )


@dataclass(frozen=True)
class UpdateEventTerms:
    """Merge the change into the event's current terms (read from PostgreSQL), check the
    result, store it."""

    uow: UnitOfWorkFactory
    layouts: EventLayouts

    async def __call__(self, principal: Principal, event_id: int, change: TermsChange) -> Event:
        """The event with its new terms. Raises `NotFound`, `Forbidden`, `InvalidRequest`."""
        sellers_event(await self.layouts(event_id), principal, SELLER_ONLY)
        async with self.uow() as uow:
            event = await uow.events.get(event_id, with_stats=True)
            if event is None:
                raise NotFound("Event not found")
            terms = check_terms(change.applied_to(event.terms))
            await uow.event_terms.set(event_id, terms)
            updated = await uow.events.get(event_id, with_stats=True)
        assert updated is not None, "the event was just read"
        return updated
