"""The event lifecycle against the real PostgreSQL (spec/tickets.md, rule 18): statuses and
time zone stored, the status compare-and-set refuses an event that changed between the read
and the write, and concurrent publishes of one draft move it once."""

import asyncio
from dataclasses import replace

from src.service.lifecycle import CLOSE_SALES, PUBLISH, EventStatus
from src.service.ticketing.adapters.postgres import PostgresUnitOfWork
from src.service.ticketing.domain.refund_policy import EventTerms
from test.integration.test_ticketing_adapters import SHOW, principals, service
from test.ticketing_fakes_io import FakeInventory


async def test_a_draft_is_stored_published_and_its_time_zone_kept(pg_pool):
    seller, _ = await principals(pg_pool)
    svc = service(pg_pool, FakeInventory())
    draft = replace(SHOW, status="draft", terms=EventTerms(timezone="America/New_York"))
    event = await svc.create_event(seller, draft)
    assert (event.status, event.terms.timezone) == (EventStatus.DRAFT, "America/New_York")
    assert not event.on_sale
    published = await svc.tickets.change_status(seller, event.id, "on_sale")
    assert published.status is EventStatus.ON_SALE and published.on_sale
    async with pg_pool.acquire() as conn:
        row = await conn.fetchrow("SELECT status, timezone FROM events WHERE id = $1", event.id)
    assert tuple(row) == ("on_sale", "America/New_York")


async def test_the_status_compare_and_set_loses_to_a_change_between_read_and_write(pg_pool):
    seller, _ = await principals(pg_pool)
    event = await service(pg_pool, FakeInventory()).create_event(seller, SHOW)
    async with PostgresUnitOfWork(pg_pool) as uow:
        read = await uow.events.get(event.id)
        assert read is not None and PUBLISH.allows(read.status) is False
        assert CLOSE_SALES.allows(read.status)
        async with pg_pool.acquire() as other:  # another seller's tab closes it meanwhile
            await other.execute("UPDATE events SET status = 'ended' WHERE id = $1", event.id)
        assert await uow.events.move(event.id, CLOSE_SALES) is False
    async with PostgresUnitOfWork(pg_pool) as uow:
        after = await uow.events.get(event.id)
    assert after is not None and after.status is EventStatus.ENDED


async def test_concurrent_closes_move_the_event_once(pg_pool):
    seller, _ = await principals(pg_pool)
    event = await service(pg_pool, FakeInventory()).create_event(seller, SHOW)

    async def close() -> bool:
        async with PostgresUnitOfWork(pg_pool) as uow:
            return await uow.events.move(event.id, CLOSE_SALES)

    assert sorted(await asyncio.gather(*(close() for _ in range(8)))) == [False] * 7 + [True]
