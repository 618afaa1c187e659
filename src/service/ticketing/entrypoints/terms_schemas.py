"""Bodies for an event's dates and refund settings (spec/tickets.md, rule 13)."""

from pydantic import AwareDatetime, BaseModel, Field

from src.service.ticketing.application.update_event_terms import TermsChange
from src.service.ticketing.domain.refund_policy import EventTerms, RefundTier
from src.service.ticketing.entrypoints.inputs import Int32, Strict, Text, Timestamp

TERM_FIELDS = frozenset({"starts_at", "ends_at", "refunds_enabled", "refund_policy", "timezone"})


class RefundTierIO(Strict):
    """A refund of `percent` % when asked at least `days_before` days before the start."""

    days_before: Int32
    percent: Int32


class TermsIn(Strict):
    """`PATCH /api/event/{id}`, and the same fields of `POST /api/event`: ISO 8601 times with
    their offset; `refund_policy: null` puts back the default tiers."""

    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    refunds_enabled: bool = True
    refund_policy: list[RefundTierIO] | None = Field(default=None, max_length=10)
    timezone: Text | None = Field(default=None, max_length=64)

    def given_terms(self) -> frozenset[str]:
        """The term fields the client sent."""
        return TERM_FIELDS & self.model_fields_set

    def to_change(self) -> TermsChange:
        """The change, as the use case takes it (`refund_policy` is its `tiers`)."""
        given = {"tiers" if f == "refund_policy" else f for f in self.given_terms()}
        tiers = None if self.refund_policy is None else tuple(
            RefundTier(t.days_before, t.percent) for t in self.refund_policy)
        return TermsChange(frozenset(given), self.starts_at, self.ends_at, self.refunds_enabled,
                           tiers, self.timezone)

    def to_terms(self) -> EventTerms | None:
        """The terms of a new event, or None when the client sent none (the defaults)."""
        if not self.given_terms():
            return None
        return self.to_change().applied_to(EventTerms())


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
