"""Check-in against the real PostgreSQL: gates racing for one code, uploads replayed at once,
the compare-and-set losing between its read and its write, the append-only log
(spec/tickets.md, rules 8–11)."""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from src.service.lifecycle import ScanOutcome
from src.service.ticketing.adapters.postgres import PostgresUnitOfWork
from src.service.ticketing.domain.check_in import Scan
from test.integration.test_tickets_pg import paid_tickets

GATES = 8


async def test_gates_scanning_one_code_at_the_same_moment_admit_it_exactly_once(pg_pool):
    svc, seller, buyer, event, _, ids = await paid_tickets(pg_pool)
    code = (await svc.tickets.get(buyer, ids[0])).ticket.code
    results = await asyncio.gather(*(
        svc.tickets.check_in(seller, event.id, Scan(code, f"gate-{i}")) for i in range(GATES)))
    outcomes = [r.outcome for r in results]
    assert outcomes.count(ScanOutcome.CHECKED_IN) == 1
    assert outcomes.count(ScanOutcome.ALREADY_CHECKED_IN) == GATES - 1
    winner = f"gate-{outcomes.index(ScanOutcome.CHECKED_IN)}"
    assert {r.gate for r in results} == {winner}  # every loser is told the winner's gate
    log = await svc.tickets.list_scans(seller, event.id, 100, 0)
    assert log.total == GATES and {s.ticket_id for s in log.items} == {ids[0]}
    assert (await svc.get_event(event.id)).attendance.checked_in == 1


async def test_the_check_in_compare_and_set_loses_to_a_change_between_read_and_write(pg_pool):
    svc, seller, buyer, event, _, ids = await paid_tickets(pg_pool)
    code = (await svc.tickets.get(buyer, ids[0])).ticket.code
    async with PostgresUnitOfWork(pg_pool) as uow:
        read = await uow.issued_tickets.by_code(code)  # this gate reads it valid...
    await svc.tickets.check_in(seller, event.id, Scan(code, "other"))  # ...another admits it
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert read.status == "valid"
        assert not await uow.issued_tickets.check_in(read.id, datetime.now(UTC), "late")
    assert (await svc.tickets.get(buyer, ids[0])).ticket.checked_in_gate == "other"


async def test_an_upload_sent_twice_at_once_is_recorded_once(pg_pool):
    svc, seller, buyer, event, _, ids = await paid_tickets(pg_pool)
    codes = [(await svc.tickets.get(buyer, i)).ticket.code for i in ids]
    at = datetime.now(UTC) - timedelta(minutes=10)
    scans = [Scan(c, "offline-1", at, f"{event.id}-nonce-{n}") for n, c in enumerate(codes)]
    first, second = await asyncio.gather(
        svc.tickets.check_in_batch(seller, event.id, scans),
        svc.tickets.check_in_batch(seller, event.id, scans))
    assert [r.outcome for r in first] == [r.outcome for r in second] == [
        ScanOutcome.CHECKED_IN, ScanOutcome.CHECKED_IN]
    assert [a.replayed or b.replayed for a, b in zip(first, second, strict=True)] == [True, True]
    assert (await svc.tickets.list_scans(seller, event.id, 100, 0)).total == 2
    ticket = (await svc.tickets.get(buyer, ids[0])).ticket
    assert ticket.checked_in_at == at


async def test_the_scan_log_refuses_updates_and_deletes(pg_pool):
    svc, seller, _, event, _, _ = await paid_tickets(pg_pool)
    await svc.tickets.check_in(seller, event.id, Scan("unknown-code"))
    async with pg_pool.acquire() as conn:
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE check_in_scans SET result = 'checked_in' "
                               "WHERE event_id = $1", event.id)
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM check_in_scans WHERE event_id = $1", event.id)
        assert await conn.fetchval("SELECT count(*) FROM check_in_scans WHERE event_id = $1",
                                   event.id) == 1
