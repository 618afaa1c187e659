"""An event's terms after the sale: when it takes place and what a refund pays back
(spec/tickets.md, rules 13–14). Pure rules; amounts are integer minor units."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from src.service.ticketing.domain.errors import InvalidRequest

MAX_TIERS = 5
MAX_DAYS = 3650


@dataclass(frozen=True, order=True)
class RefundTier:
    """A refund of `percent` % of the price when the request comes at least `days_before`
    whole days (of 24 hours) before the event starts."""

    days_before: int
    percent: int


# spec/tickets.md, rule 14: ≥ 7 days before the start 100 %, ≥ 3 days 50 %, else no refund.
DEFAULT_TIERS: tuple[RefundTier, ...] = (RefundTier(7, 100), RefundTier(3, 50))


@dataclass(frozen=True)
class EventTerms:
    """`starts_at`/`ends_at` (aware; both optional, for events created before dates existed),
    whether the seller takes refunds, and the refund tiers, most notice first."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None
    refunds_enabled: bool = True
    tiers: tuple[RefundTier, ...] = field(default=DEFAULT_TIERS)
    timezone: str | None = None  # the venue's IANA zone, e.g. "Europe/Vienna" (rule 13)


@dataclass(frozen=True)
class Quote:
    """What a refund pays back: `percent` % of `price`, rounded down to the minor unit."""

    price: int
    percent: int

    @property
    def amount(self) -> int:
        """`price × percent / 100`, rounded down (never more than the percentage)."""
        return self.price * self.percent // 100


def check_terms(terms: EventTerms) -> EventTerms:
    """spec/tickets.md, rule 13; raises `InvalidRequest`: dates with their offset, `ends_at`
    only with `starts_at` and after it; 1–5 tiers with distinct days from 0 to 3650, percents
    from 1 to 100 that never grow as the notice shrinks. Returns the terms, tiers sorted most
    notice first."""
    for name, at in (("starts_at", terms.starts_at), ("ends_at", terms.ends_at)):
        if at is not None and at.utcoffset() is None:
            raise InvalidRequest(f"{name} must carry its UTC offset")
    if terms.ends_at is not None:
        if terms.starts_at is None:
            raise InvalidRequest("ends_at needs starts_at")
        if terms.ends_at <= terms.starts_at:
            raise InvalidRequest("ends_at must be after starts_at")
    tiers = tuple(sorted(terms.tiers, reverse=True))
    if not 1 <= len(tiers) <= MAX_TIERS or len({t.days_before for t in tiers}) != len(tiers):
        raise InvalidRequest(f"refund_policy needs 1 to {MAX_TIERS} tiers with distinct days")
    if any(not 0 <= t.days_before <= MAX_DAYS or not 1 <= t.percent <= 100 for t in tiers):
        raise InvalidRequest(f"refund tiers need days_before 0 to {MAX_DAYS}, percent 1 to 100")
    if any(later.percent > earlier.percent for earlier, later in pairwise(tiers)):
        raise InvalidRequest("a refund tier with less notice cannot pay back more")
    return EventTerms(terms.starts_at, terms.ends_at, terms.refunds_enabled, tiers,
                      check_timezone(terms.timezone))


def check_timezone(name: str | None) -> str | None:
    """An IANA time zone name known to `zoneinfo` (or None); raises `InvalidRequest`
    (spec/tickets.md, rule 13)."""
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(f"Unknown time zone '{name[:64]}': expected an IANA name such as "
                             "'Europe/Vienna'") from None
    return name


def full_refund(price: int) -> Quote:
    """The whole price back, whatever the policy says: the seller cancelled the event
    (spec/tickets.md, rule 19)."""
    return Quote(price, 100)


def quote(terms: EventTerms, now: datetime, price: int) -> Quote:
    """spec/tickets.md, rule 14: the refund of a ticket of `price` asked for at `now`, by the
    first tier whose notice is met (a tier of N days is met by exactly N × 24 hours; none is
    once the event has started); raises `InvalidRequest` with the reason when there is none."""
    if not terms.refunds_enabled:
        raise InvalidRequest("Refunds are disabled for this event")
    if terms.starts_at is None:
        raise InvalidRequest("This event has no start date, so its tickets cannot be refunded")
    notice = terms.starts_at - now
    if notice <= timedelta(0):
        raise InvalidRequest("The event has started: its tickets can no longer be refunded")
    for tier in terms.tiers:
        if notice >= timedelta(days=tier.days_before):
            return Quote(price, tier.percent)
    last = terms.tiers[-1].days_before
    raise InvalidRequest(f"Too late for a refund: refunds close {last} days before the event")
