"""Transfers against the real PostgreSQL: two transfers of one ticket at once, the
compare-and-set losing between its read and its write, the chain kept (spec/tickets.md,
rule 12)."""

import asyncio

from src.service.lifecycle import IssuedTicketStatus
from src.service.ticketing.adapters.postgres import PostgresUnitOfWork
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.user import Principal, Role
from test.integration.factories import insert_user
from test.integration.test_tickets_pg import paid_tickets


async def buyer(pg_pool) -> tuple[Principal, str]:
    async with pg_pool.acquire() as conn:
        user_id = await insert_user(conn, "buyer")
        email = await conn.fetchval("SELECT email FROM users WHERE id = $1", user_id)
    return Principal(user_id, Role.BUYER), email


async def test_two_transfers_of_one_ticket_at_once_issue_exactly_one_new_ticket(pg_pool):
    svc, _, holder, _, _, ids = await paid_tickets(pg_pool)
    (bob, bob_email), (carol, carol_email) = await buyer(pg_pool), await buyer(pg_pool)
    results = await asyncio.gather(
        svc.tickets.transfer(holder, ids[0], bob_email),
        svc.tickets.transfer(holder, ids[0], carol_email), return_exceptions=True)
    refused = [r for r in results if isinstance(r, InvalidRequest)]
    assert len(refused) == 1 and "this one is transferred" in str(refused[0])
    received = [(await svc.tickets.list_mine(p, None, None, 20, 0)).total for p in (bob, carol)]
    assert sorted(received) == [0, 1]
    async with pg_pool.acquire() as conn:
        successors = await conn.fetchval(
            "SELECT count(*) FROM issued_tickets WHERE previous_id = $1", ids[0])
    assert successors == 1


async def test_the_transfer_compare_and_set_loses_to_a_change_between_read_and_write(pg_pool):
    svc, _, holder, _, _, ids = await paid_tickets(pg_pool)
    bob, _ = await buyer(pg_pool)
    stale = (await svc.tickets.get(holder, ids[0])).ticket  # read valid...
    async with pg_pool.acquire() as conn:  # ...then checked in by a gate
        await conn.execute("UPDATE issued_tickets SET status = 'checked_in', "
                           "checked_in_at = now() WHERE id = $1", ids[0])
    async with PostgresUnitOfWork(pg_pool) as uow:
        assert await uow.issued_tickets.transfer(stale, bob.user_id, "never-issued") is None
    assert (await svc.tickets.list_mine(bob, None, None, 20, 0)).total == 0


async def test_a_chain_of_transfers_keeps_every_ticket_and_one_live(pg_pool):
    svc, _, alice, event, _, ids = await paid_tickets(pg_pool)
    bob, bob_email = await buyer(pg_pool)
    await svc.tickets.transfer(alice, ids[0], bob_email)
    [bobs] = (await svc.tickets.list_mine(bob, None, None, 20, 0)).items
    async with pg_pool.acquire() as conn:
        alice_email = await conn.fetchval("SELECT email FROM users WHERE id = $1", alice.user_id)
    await svc.tickets.transfer(bob, bobs.ticket.id, alice_email)
    mine = (await svc.tickets.list_mine(alice, event.id, None, 20, 0)).items
    assert [(v.ticket.status, v.ticket.previous_id) for v in mine] == [
        (IssuedTicketStatus.VALID, bobs.ticket.id), (IssuedTicketStatus.VALID, None),
        (IssuedTicketStatus.TRANSFERRED, None)]
    assert (await svc.get_event(event.id)).attendance.sold == 2
