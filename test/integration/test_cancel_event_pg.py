"""Cancelling an event against the real PostgreSQL (spec/tickets.md, rule 19): bookings
racing the cancel (in this process and in another whose layout cache is still fresh) and a
payment racing it end cancelled, refused or refunded; after the relay's sweep no seat of the
event is held or sold and no ticket of it is valid; tickets already checked in are refunded
too."""

import asyncio

from src.service.contract import BookingCancelled
from src.service.lifecycle import EventStatus, ScanOutcome
from src.service.ticketing.application.create_booking import BookingRequest
from src.service.ticketing.domain.booking import SeatSelectionMode
from src.service.ticketing.domain.check_in import Scan
from src.service.ticketing.domain.errors import InvalidRequest
from test.integration.test_ticketing_adapters import SHOW, booked, hold, principals, service
from test.integration.test_tickets_pg import paid_tickets
from test.ticketing_fakes_io import FakeInventory, RecordingPublisher


async def leftovers(pg_pool, event_id) -> dict:
    async with pg_pool.acquire() as conn:
        return dict(await conn.fetchrow(
            "SELECT (SELECT count(*) FROM tickets WHERE event_id = $1 AND status <> 'available')"
            " AS seats_taken, (SELECT count(*) FROM bookings WHERE event_id = $1 AND status IN "
            "('processing', 'pending_payment')) AS open_bookings, (SELECT count(*) FROM "
            "issued_tickets WHERE event_id = $1 AND status = 'valid') AS valid_tickets, "
            "(SELECT sum(reserved + sold) FROM subsection_stats WHERE event_id = $1) AS counted",
            event_id))


async def test_bookings_and_a_payment_racing_the_cancel_leave_no_seat_held(pg_pool):
    seller, buyer = await principals(pg_pool)
    publisher = RecordingPublisher()
    svc = service(pg_pool, FakeInventory(), publisher)
    other_process = service(pg_pool, FakeInventory(), publisher)
    event = await svc.create_event(seller, SHOW)
    paid = await booked(svc, buyer, event.id, ("1-1", "1-2"))
    await hold(pg_pool, paid, event.id, row=1)
    await svc.pay_booking(buyer, paid.id)
    racing_payment = await booked(svc, buyer, event.id, ("2-1", "2-2"))
    await hold(pg_pool, racing_payment, event.id, row=2)
    await other_process.layouts(event.id)  # its cache says on sale for up to a second

    def request(row: int) -> BookingRequest:
        return BookingRequest(event.id, "A", 1, 2, SeatSelectionMode.MANUAL,
                              [f"{row}-5", f"{row}-6"])

    creates = [(svc if n % 2 else other_process).create_booking(buyer, request(3 + n))
               for n in range(6)]
    results = await asyncio.gather(
        svc.tickets.cancel_event(seller, event.id), svc.pay_booking(buyer, racing_payment.id),
        *creates, return_exceptions=True)
    cancellation, payment, created = results[0], results[1], results[2:]
    assert cancellation.event.status is EventStatus.CANCELLED
    assert payment is None or isinstance(payment, InvalidRequest) or payment.booking.id
    for answer in created:  # refused, or accepted and left for the sweep
        assert (isinstance(answer, InvalidRequest) and str(answer) == "Event is not on sale"
                or answer.booking.id), answer
    await svc.tickets.cancel_event.sweep_cancelled()  # the relay's pass
    assert await leftovers(pg_pool, event.id) == {
        "seats_taken": 0, "open_bookings": 0, "valid_tickets": 0, "counted": 0}
    async with pg_pool.acquire() as conn:
        statuses = dict(await conn.fetch(
            "SELECT status, count(*) FROM bookings WHERE event_id = $1 GROUP BY status",
            event.id))
        refunded = await conn.fetch(
            "SELECT percent, amount, price FROM refunds WHERE event_id = $1", event.id)
    assert set(statuses) <= {"cancelled", "refunded"} and statuses["refunded"] >= 1
    assert refunded and all((r["percent"], r["amount"]) == (100, r["price"]) for r in refunded)
    released = {c.booking_id for c in publisher.sent if isinstance(c, BookingCancelled)}
    async with pg_pool.acquire() as conn:
        every = {r["id"]: r["status"] for r in await conn.fetch(
            "SELECT id, status FROM bookings WHERE event_id = $1", event.id)}
    # Every booking's seats go back through the Kafka release path.
    assert released == set(every), ({b: every.get(b) for b in released ^ set(every)}, results)
    again = await svc.tickets.cancel_event(seller, event.id)
    assert (again.cancelled, again.refunded) == (0, 0)


async def test_the_cancel_compare_and_set_loses_to_an_end_between_read_and_write(pg_pool):
    seller, _ = await principals(pg_pool)
    svc = service(pg_pool, FakeInventory())
    event = await svc.create_event(seller, SHOW)
    await svc.tickets.change_status(seller, event.id, "closed")
    use_case = svc.tickets.cancel_event
    real = use_case.uow

    class EndsFirst:  # the seller's other tab ends the event after the cancel read it
        def __init__(self):
            self.inner = real()

        async def __aenter__(self):
            unit = await self.inner.__aenter__()
            move = unit.events.move

            async def ended_meanwhile(event_id, transition):
                async with pg_pool.acquire() as conn:
                    await conn.execute("UPDATE events SET status = 'ended' WHERE id = $1",
                                       event_id)
                unit.events.move = move
                return await move(event_id, transition)

            unit.events.move = ended_meanwhile
            return unit

        async def __aexit__(self, *exc):
            return await self.inner.__aexit__(*exc)

    object.__setattr__(use_case, "uow", EndsFirst)
    try:
        try:
            await use_case(seller, event.id)
        except InvalidRequest as refused:
            assert str(refused) == "An event that is ended cannot be cancelled"
        else:
            raise AssertionError("the cancel should have been judged again and refused")
    finally:
        object.__setattr__(use_case, "uow", real)
    assert (await svc.get_event(event.id)).status is EventStatus.ENDED


async def test_a_checked_in_ticket_is_refunded_in_full_when_its_event_is_cancelled(pg_pool):
    svc, seller, buyer, event, booking, ids = await paid_tickets(pg_pool)
    code = (await svc.tickets.get(buyer, ids[0])).ticket.code
    assert (await svc.tickets.check_in(seller, event.id, Scan(code, "north"))).outcome is (
        ScanOutcome.CHECKED_IN)
    done = await svc.tickets.cancel_event(seller, event.id)
    assert (done.cancelled, done.refunded) == (0, 1)
    async with pg_pool.acquire() as conn:
        tickets = dict(await conn.fetch(
            "SELECT id, status FROM issued_tickets WHERE event_id = $1", event.id))
        refunds = await conn.fetch(
            "SELECT ticket_id, percent, amount, price FROM refunds WHERE event_id = $1", event.id)
        status = await conn.fetchval("SELECT status FROM bookings WHERE id = $1", booking.id)
    assert tickets == {ids[0]: "refunded", ids[1]: "refunded"}
    assert sorted((r["ticket_id"], r["percent"], r["amount"]) for r in refunds) == sorted(
        (r["ticket_id"], 100, r["price"]) for r in refunds)
    assert {r["ticket_id"] for r in refunds} == set(ids) and status == "refunded"
    assert await leftovers(pg_pool, event.id) == {
        "seats_taken": 0, "open_bookings": 0, "valid_tickets": 0, "counted": 0}
    assert await svc.tickets.cancel_event.sweep_cancelled() == 0  # nothing left to finish
