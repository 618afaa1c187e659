"""The event list's one statement against the real PostgreSQL: filters, order by start
(undated last), the window total, and ILIKE that matches `%` and `_` literally
(spec/tickets.md, rule 17)."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from src.service.lifecycle import EventStatus
from src.service.ticketing.domain.event import EventQuery
from src.service.ticketing.domain.refund_policy import EventTerms
from test.integration.test_ticketing_adapters import SHOW, principals, service
from test.ticketing_fakes_io import FakeInventory

START = datetime(2031, 3, 1, 20, tzinfo=UTC)


async def test_filters_order_and_total_in_one_statement(pg_pool):
    seller, _ = await principals(pg_pool)
    svc, tag = service(pg_pool, FakeInventory()), uuid.uuid4().hex[:12]
    made = {}
    for name, days in (("late", 20), ("early", 1), ("mid", 10), ("undated", None)):
        terms = None if days is None else EventTerms(starts_at=START + timedelta(days=days))
        draft = replace(SHOW, name=f"{tag} {name}", terms=terms)
        made[name] = (await svc.create_event(seller, draft)).id
    await svc.create_event(seller, replace(SHOW, name=f"{tag} off", is_active=False))

    page = await svc.list_events(EventQuery(text=tag.upper()))
    assert [e.name.split()[1] for e in page.items] == ["early", "mid", "late", "undated"]
    assert page.total == 4  # the inactive one is not listed publicly
    second = await svc.list_events(EventQuery(text=tag, limit=2, offset=2))
    assert ([e.id for e in second.items], second.total) == ([made["late"], made["undated"]], 4)
    beyond = await svc.list_events(EventQuery(text=tag, limit=2, offset=10))
    assert (beyond.items, beyond.total) == ((), 4)  # the total without a row to carry it

    ranged = await svc.list_events(EventQuery(
        text=tag, starts_from=START + timedelta(days=5), starts_until=START + timedelta(days=15)))
    assert [e.id for e in ranged.items] == [made["mid"]]
    mine = await svc.list_events(EventQuery(seller_id=seller.user_id, text=tag))
    assert mine.total == 5  # a seller sees their inactive events too
    assert (await svc.list_events(EventQuery(text=tag, status=EventStatus.ENDED))).total == 0


async def test_like_wildcards_in_the_text_match_literally(pg_pool):
    seller, _ = await principals(pg_pool)
    svc, tag = service(pg_pool, FakeInventory()), uuid.uuid4().hex[:12]
    await svc.create_event(seller, replace(SHOW, name=f"{tag} 100% fun"))
    await svc.create_event(seller, replace(SHOW, name=f"{tag} 1000 fun"))
    await svc.create_event(seller, replace(SHOW, name=f"{tag} a_b"))
    await svc.create_event(seller, replace(SHOW, name=f"{tag} axb"))
    assert [e.name for e in (await svc.list_events(EventQuery(text=f"{tag} 100%"))).items] == [
        f"{tag} 100% fun"]
    assert [e.name for e in (await svc.list_events(EventQuery(text=f"{tag} a_b"))).items] == [
        f"{tag} a_b"]
