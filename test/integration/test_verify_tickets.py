"""The load tool's PostgreSQL checks know the ticket states: a refunded seat is free, a
checked-in or transferred ticket's seat stays sold (spec/tickets.md; deploy/loadtest/verify.py)."""

from deploy.loadtest.verify import oversold_seats, stats_mismatches, ticket_mismatches
from deploy.loadtest.verify_tickets import issued_mismatches
from src.service.ticketing.domain.check_in import Scan
from test.integration.test_refunds_pg import SOON
from test.integration.test_tickets_pg import paid_tickets
from test.integration.test_transfers_pg import buyer


async def checks(pg_pool, event_id: int) -> dict[str, int]:
    async with pg_pool.acquire() as conn:
        return {check.__name__: await check(conn, event_id) for check in (
            oversold_seats, ticket_mismatches, stats_mismatches, issued_mismatches)}


async def test_refunds_check_ins_and_transfers_leave_every_check_at_zero(pg_pool):
    svc, seller, alice, event, _, ids = await paid_tickets(pg_pool, draft=SOON)
    await svc.tickets.refund_ticket(alice, ids[0])
    _, bob_email = await buyer(pg_pool)
    await svc.tickets.transfer(alice, ids[1], bob_email)
    assert await checks(pg_pool, event.id) == dict.fromkeys(
        ("oversold_seats", "ticket_mismatches", "stats_mismatches", "issued_mismatches"), 0)
    other = await paid_tickets(pg_pool)
    code = (await other[0].tickets.get(other[2], other[5][0])).ticket.code
    await other[0].tickets.check_in(other[1], other[3].id, Scan(code))
    assert sum((await checks(pg_pool, other[3].id)).values()) == 0


async def test_a_seat_freed_without_a_refund_is_caught(pg_pool):
    _, _, _, event, _, ids = await paid_tickets(pg_pool)
    async with pg_pool.acquire() as conn:
        await conn.execute(
            "UPDATE tickets SET status = 'available', booking_id = NULL WHERE id = "
            "(SELECT seat_id FROM issued_tickets WHERE id = $1)", ids[0])
    found = await checks(pg_pool, event.id)
    assert found["ticket_mismatches"] == 1 and found["issued_mismatches"] == 1
