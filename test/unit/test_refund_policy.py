"""An event's terms and the refund policy at its edges (spec/tickets.md, rules 13–14)."""

from datetime import UTC, datetime, timedelta

import pytest

from src.service.ticketing.application.update_event import EventChange
from src.service.ticketing.domain.errors import Forbidden, InvalidRequest
from src.service.ticketing.domain.refund_policy import (
    DEFAULT_TIERS,
    EventTerms,
    Quote,
    RefundTier,
    check_terms,
    quote,
)
from test.ticket_fakes import BUYER, SELLER, TicketWorld

START = datetime(2026, 6, 1, 20, 0, tzinfo=UTC)
TERMS = EventTerms(starts_at=START)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(("before_start", "percent"), [
    (timedelta(days=30), 100), (timedelta(days=7), 100), (timedelta(days=7) - TICK, 50),
    (timedelta(days=3), 50)])
def test_the_default_policy_pays_by_notice_in_whole_days(before_start, percent):
    assert quote(TERMS, START - before_start, 1000) == Quote(1000, percent)


@pytest.mark.parametrize(("before_start", "message"), [
    (timedelta(days=3) - TICK, "Too late for a refund: refunds close 3 days before the event"),
    (timedelta(hours=1), "refunds close 3 days"),
    (timedelta(0), "The event has started"), (-timedelta(days=1), "The event has started")])
def test_too_little_notice_is_refused_with_the_reason(before_start, message):
    with pytest.raises(InvalidRequest, match=message):
        quote(TERMS, START - before_start, 1000)


def test_without_a_start_date_or_with_refunds_off_nothing_is_refunded():
    with pytest.raises(InvalidRequest, match="no start date, so its tickets cannot be refunded"):
        quote(EventTerms(), START, 1000)
    with pytest.raises(InvalidRequest, match="Refunds are disabled for this event"):
        quote(EventTerms(starts_at=START, refunds_enabled=False), START - timedelta(days=30), 1)


@pytest.mark.parametrize(("price", "percent", "amount"), [
    (1000, 50, 500), (999, 50, 499), (1, 50, 0), (999, 100, 999), (333, 33, 109), (0, 100, 0)])
def test_an_amount_is_rounded_down_to_the_minor_unit(price, percent, amount):
    assert Quote(price, percent).amount == amount


def test_a_custom_policy_is_sorted_and_its_zero_day_tier_pays_until_the_start():
    terms = check_terms(EventTerms(START, None, True, (RefundTier(0, 25), RefundTier(14, 90))))
    assert terms.tiers == (RefundTier(14, 90), RefundTier(0, 25))
    assert quote(terms, START - TICK, 400).amount == 100
    with pytest.raises(InvalidRequest, match="has started"):
        quote(terms, START, 400)


@pytest.mark.parametrize(("terms", "message"), [
    (EventTerms(None, START), "ends_at needs starts_at"),
    (EventTerms(START, START), "ends_at must be after starts_at"),
    (EventTerms(START, START - TICK), "ends_at must be after starts_at"),
    (EventTerms(datetime(2026, 6, 1)), "starts_at must carry its UTC offset"),
    (EventTerms(START, None, True, ()), "1 to 5 tiers"),
    (EventTerms(START, None, True, (RefundTier(3, 50), RefundTier(3, 40))), "distinct days"),
    (EventTerms(START, None, True, (RefundTier(3, 0),)), "percent 1 to 100"),
    (EventTerms(START, None, True, (RefundTier(3, 101),)), "percent 1 to 100"),
    (EventTerms(START, None, True, (RefundTier(-1, 10),)), "days_before 0 to 3650"),
    (EventTerms(START, None, True, (RefundTier(7, 50), RefundTier(3, 60))), "cannot pay back more"),
])
def test_bad_terms_are_refused(terms, message):
    with pytest.raises(InvalidRequest, match=message):
        check_terms(terms)


def test_the_defaults_are_seven_days_full_and_three_days_half():
    assert (RefundTier(7, 100), RefundTier(3, 50)) == DEFAULT_TIERS
    assert check_terms(EventTerms(START, START + timedelta(hours=3))).tiers == DEFAULT_TIERS


async def test_a_seller_sets_terms_at_creation_and_changes_only_what_they_send():
    world = TicketWorld()
    event_id = await world.event(terms=EventTerms(START, START + timedelta(hours=2)))
    update = world.service.tickets.update_event
    event = await update(SELLER, event_id, EventChange({"refunds_enabled": False}))
    assert (event.terms.starts_at, event.terms.refunds_enabled) == (START, False)
    later = START + timedelta(days=1)
    event = await update(SELLER, event_id, EventChange({"starts_at": later, "ends_at": None}))
    assert (event.terms.starts_at, event.terms.ends_at, event.terms.refunds_enabled) == (
        later, None, False)
    with pytest.raises(InvalidRequest, match="ends_at needs starts_at"):
        await update(SELLER, event_id, EventChange({"starts_at": None, "ends_at": later}))
    with pytest.raises(Forbidden, match="Only the seller of this event can change it"):
        await update(BUYER, event_id, EventChange({"refunds_enabled": True}))
    assert world.store.events[event_id].terms.starts_at == later
