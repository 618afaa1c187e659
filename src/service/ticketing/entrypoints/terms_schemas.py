"""Bodies for what a seller sets on an event besides its layout: dates and refund settings
(spec/tickets.md, rule 13), on-sale rules (spec/booking.md, rules 10–12), and the body of
`PATCH /api/event/{id}` (rule 13)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from src.service.ticketing.application.update_event import EventChange
from src.service.ticketing.domain.event import Event
from src.service.ticketing.domain.refund_policy import DEFAULT_TIERS, EventTerms, RefundTier
from src.service.ticketing.domain.sales import SalesPolicy
from src.service.ticketing.entrypoints.inputs import Int32, Paragraph, Strict, Text, Timestamp

MAX_PRICES = 1000  # sections priced in one PATCH
TERM_FIELDS = frozenset({"starts_at", "ends_at", "refunds_enabled", "refund_policy", "timezone"})


class RefundTierIO(Strict):
    """A refund of `percent` % when asked at least `days_before` days before the start."""

    days_before: Int32
    percent: Int32


def _tiers(policy: list[RefundTierIO] | None) -> tuple[RefundTier, ...]:
    """The domain's tiers of a body's `refund_policy`; null is the default policy."""
    if policy is None:
        return DEFAULT_TIERS
    return tuple(RefundTier(t.days_before, t.percent) for t in policy)


class TermsIn(Strict):
    """The dates and refund fields of `POST /api/event` and `PATCH /api/event/{id}`: ISO 8601
    times with their offset; `refund_policy: null` puts back the default tiers."""

    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    refunds_enabled: bool = True
    refund_policy: list[RefundTierIO] | None = Field(default=None, max_length=10)
    timezone: Text | None = Field(default=None, max_length=64)

    def given_terms(self) -> frozenset[str]:
        """The term fields the client sent."""
        return TERM_FIELDS & self.model_fields_set

    def to_terms(self) -> EventTerms | None:
        """The terms of a new event, or None when the client sent none (the defaults)."""
        if not self.given_terms():
            return None
        return EventTerms(self.starts_at, self.ends_at, self.refunds_enabled,
                          _tiers(self.refund_policy), self.timezone)


class SalesIn(Strict):
    """The on-sale fields of `POST /api/event` and `PATCH /api/event/{id}` (spec/booking.md,
    rules 10–12): the sale window (ISO 8601 with offset; null = unbounded on that side) and
    the per-buyer limits (`max_tickets_per_buyer` null = none)."""

    sales_start: Timestamp | None = None
    sales_end: Timestamp | None = None
    max_tickets_per_buyer: Int32 | None = None
    one_open_booking_per_buyer: bool = False

    def to_sales(self) -> SalesPolicy:
        """The policy of a new event (every field off unless sent)."""
        return SalesPolicy(self.sales_start, self.sales_end, self.max_tickets_per_buyer,
                           self.one_open_booking_per_buyer)


# The body's name for a field, and how its value becomes the domain's, where they differ.
_DOMAIN: dict[str, tuple[str, Callable[[Any], object]]] = {"refund_policy": ("tiers", _tiers)}
_NOT_FIELDS = frozenset({"prices", "seating_config"})


class EventPatch(TermsIn, SalesIn):
    """`PATCH /api/event/{id}`: any of the event's fields, each checked as on creation; what
    is left out stays. `prices` sets a section's price for bookings made from now on;
    `seating_config` replaces the layout, only before the first booking (spec/booking.md,
    rule 13). A field added here that has a namesake in `Event`, `EventTerms` or `SalesPolicy`
    is changeable with no more code."""

    name: Text = Field(default="", max_length=200)
    description: Paragraph = Field(default="", max_length=5000)
    venue_name: Text = Field(default="", max_length=200)
    prices: dict[Text, Int32] = Field(default_factory=dict, max_length=MAX_PRICES)
    seating_config: dict | None = None
    # Payment deadline of bookings held from now on, 30 to 86400 s; null: none (rule 6).
    hold_seconds: Int32 | None = None

    def to_change(self) -> EventChange:
        """The change, as the use case takes it."""
        changed: dict[str, object] = {}
        for name in self.model_fields_set - _NOT_FIELDS:
            target, convert = _DOMAIN.get(name, (name, lambda value: value))
            changed[target] = convert(getattr(self, name))
        return EventChange(changed, self.prices, self.seating_config)


class TermsOut(BaseModel):
    """An event's dates and refund settings."""

    starts_at: AwareDatetime | None
    ends_at: AwareDatetime | None
    refunds_enabled: bool
    refund_policy: list[RefundTierIO]
    timezone: str | None

    @classmethod
    def fields_of(cls, terms: EventTerms) -> dict:
        """The fields, for the event's answer."""
        return dict(starts_at=terms.starts_at, ends_at=terms.ends_at,
                    refunds_enabled=terms.refunds_enabled,
                    refund_policy=[RefundTierIO(days_before=t.days_before, percent=t.percent)
                                   for t in terms.tiers], timezone=terms.timezone)


class SalesOut(BaseModel):
    """An event's on-sale rules, and whether it takes bookings at the moment of the answer."""

    sales_start: AwareDatetime | None
    sales_end: AwareDatetime | None
    max_tickets_per_buyer: int | None
    one_open_booking_per_buyer: bool
    sales_open: bool

    @classmethod
    def fields_of(cls, event: Event, now: datetime) -> dict:
        """The fields, for the event's answer at `now`."""
        sales = event.sales
        return dict(sales_start=sales.sales_start, sales_end=sales.sales_end,
                    max_tickets_per_buyer=sales.max_tickets_per_buyer,
                    one_open_booking_per_buyer=sales.one_open_booking_per_buyer,
                    sales_open=event.sales_open(now))
