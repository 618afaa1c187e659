"""Check-in at the door over hand-written fakes: staff, outcomes, the scan log, offline
uploads, live counts (spec/tickets.md, rules 8–11)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from src.service.lifecycle import IssuedTicketStatus, ScanOutcome
from src.service.ticketing.domain.check_in import CLOCK_SKEW, Scan, ScanResult, check_scan, judge
from src.service.ticketing.domain.errors import Forbidden, InvalidRequest, NotFound
from src.service.ticketing.domain.user import Principal, Role
from test.ticket_fakes import BUYER, OTHER, SELLER, TicketWorld

STAFF = Principal(7, Role.BUYER)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def world() -> TicketWorld:
    world = TicketWorld()
    world.account(SELLER, "sam@seller.io")
    world.account(STAFF, "gate@staff.io")
    return world


async def setup(world: TicketWorld):
    event_id = await world.event()
    _, tickets = await world.paid(event_id)
    return event_id, tickets


@pytest.mark.parametrize(("status", "outcome"), [
    (IssuedTicketStatus.VALID, ScanOutcome.CHECKED_IN),
    (IssuedTicketStatus.CHECKED_IN, ScanOutcome.ALREADY_CHECKED_IN),
    (IssuedTicketStatus.REFUNDED, ScanOutcome.REFUNDED),
    (IssuedTicketStatus.TRANSFERRED, ScanOutcome.TRANSFERRED)])
async def test_judge_answers_by_status_and_another_event_first(world, status, outcome):
    _, (ticket, _) = await setup(world)
    ticket = replace(ticket, status=status)
    assert judge(ticket, ticket.event_id) is outcome
    assert judge(ticket, ticket.event_id + 1) is ScanOutcome.WRONG_EVENT
    assert judge(None, ticket.event_id) is ScanOutcome.UNKNOWN_CODE


@pytest.mark.parametrize(("scan", "message"), [
    (Scan(""), "code must be 1 to 100"), (Scan("x" * 101), "code must be 1 to 100"),
    (Scan("c", gate=""), "gate must be 1 to 50"), (Scan("c", gate="g" * 51), "gate must be"),
    (Scan("c", nonce=""), "nonce must be 1 to 100"),
    (Scan("c", scanned_at=datetime(2026, 1, 1)), "must carry its UTC offset"),
    (Scan("c", scanned_at=NOW + CLOCK_SKEW + timedelta(microseconds=1)), "in the future")])
def test_a_malformed_scan_is_refused(scan, message):
    with pytest.raises(InvalidRequest, match=message):
        check_scan(scan, NOW)


def test_a_gate_clock_a_little_ahead_is_accepted():
    check_scan(Scan("c", "A", NOW + CLOCK_SKEW, "n1"), NOW)
    check_scan(Scan("x" * 100, "g" * 50, NOW - timedelta(days=1), "n" * 100), NOW)


async def test_the_first_scan_admits_and_the_second_is_refused_with_the_first_time_and_gate(
    world
):
    event_id, (ticket, _) = await setup(world)
    first = await world.service.tickets.check_in(SELLER, event_id, Scan(ticket.code, "North"))
    assert (first.outcome, first.checked_in_at, first.gate) == (
        ScanOutcome.CHECKED_IN, world.clock.now(), "North")
    assert world.store.issued[ticket.id].status is IssuedTicketStatus.CHECKED_IN
    world.clock.advance(60)
    second = await world.service.tickets.check_in(SELLER, event_id, Scan(ticket.code, "South"))
    assert (second.outcome, second.gate) == (ScanOutcome.ALREADY_CHECKED_IN, "North")
    assert second.checked_in_at == world.clock.now() - timedelta(seconds=60)
    assert [s.outcome for s in world.store.scans] == [ScanOutcome.CHECKED_IN,
                                                      ScanOutcome.ALREADY_CHECKED_IN]


@pytest.mark.parametrize(("status", "outcome"), [
    (IssuedTicketStatus.REFUNDED, ScanOutcome.REFUNDED),
    (IssuedTicketStatus.TRANSFERRED, ScanOutcome.TRANSFERRED)])
async def test_a_ticket_no_longer_valid_is_refused_and_logged(world, status, outcome):
    event_id, (ticket, _) = await setup(world)
    world.store.set_status(ticket.id, status)
    result = await world.service.tickets.check_in(SELLER, event_id, Scan(ticket.code))
    assert result.outcome is outcome and world.store.issued[ticket.id].status is status
    assert [(s.ticket_id, s.outcome) for s in world.store.scans] == [(ticket.id, outcome)]


async def test_another_events_code_and_an_unknown_code_show_no_ticket(world):
    event_id, (ticket, _) = await setup(world)
    other_event = await world.event()
    wrong = await world.service.tickets.check_in(SELLER, other_event, Scan(ticket.code))
    unknown = await world.service.tickets.check_in(SELLER, event_id, Scan("no-such-code"))
    assert (wrong.outcome, wrong.ticket) == (ScanOutcome.WRONG_EVENT, None)
    assert (unknown.outcome, unknown.ticket) == (ScanOutcome.UNKNOWN_CODE, None)
    assert [(s.event_id, s.ticket_id, s.code) for s in world.store.scans] == [
        (other_event, None, ticket.code), (event_id, None, "no-such-code")]
    assert world.store.issued[ticket.id].status is IssuedTicketStatus.VALID


async def test_only_the_seller_and_the_staff_they_added_scan_for_their_event(world):
    event_id, (ticket, _) = await setup(world)
    with pytest.raises(Forbidden, match="Only door staff of this event"):
        await world.service.tickets.check_in(STAFF, event_id, Scan(ticket.code))
    await world.service.tickets.add_staff(SELLER, event_id, " Gate@Staff.io ")
    assert [u.id for u in await world.service.tickets.list_staff(SELLER, event_id)] == [7]
    result = await world.service.tickets.check_in(STAFF, event_id, Scan(ticket.code, "East"))
    assert result.outcome is ScanOutcome.CHECKED_IN and world.store.scans[-1].staff_id == 7
    other_event = await world.event()
    with pytest.raises(Forbidden):  # staff of one event only
        await world.service.tickets.check_in(STAFF, other_event, Scan(ticket.code))
    await world.service.tickets.remove_staff(SELLER, event_id, "gate@staff.io")
    with pytest.raises(Forbidden):
        await world.service.tickets.check_in(STAFF, event_id, Scan(ticket.code))
    assert len(world.store.scans) == 1  # refused callers leave no scan
    with pytest.raises(NotFound, match="Event not found"):
        await world.service.tickets.check_in(SELLER, 999, Scan(ticket.code))


async def test_staff_is_managed_by_the_seller_only(world):
    event_id = await world.event()
    with pytest.raises(Forbidden, match="Only the seller of this event"):
        await world.service.tickets.add_staff(BUYER, event_id, "gate@staff.io")
    with pytest.raises(Forbidden):
        await world.service.tickets.list_staff(STAFF, event_id)
    with pytest.raises(NotFound, match="No account with this email"):
        await world.service.tickets.add_staff(SELLER, event_id, "nobody@x.io")
    with pytest.raises(InvalidRequest, match="The seller works the door"):
        await world.service.tickets.add_staff(SELLER, event_id, "sam@seller.io")
    with pytest.raises(NotFound, match="No door staff of this event"):
        await world.service.tickets.remove_staff(SELLER, event_id, "gate@staff.io")
    await world.service.tickets.add_staff(SELLER, event_id, "gate@staff.io")
    await world.service.tickets.add_staff(SELLER, event_id, "gate@staff.io")
    assert world.store.staff[event_id] == [7]


async def test_a_check_in_loses_to_another_gate_between_its_read_and_its_write(world):
    event_id, (ticket, _) = await setup(world)
    other_gate_at = world.clock.now() - timedelta(seconds=1)

    def other_gate() -> None:
        world.store.issued[ticket.id] = replace(
            world.store.issued[ticket.id], status=IssuedTicketStatus.CHECKED_IN,
            checked_in_at=other_gate_at, checked_in_gate="West")
    world.store.between_read_and_write = other_gate
    result = await world.service.tickets.check_in(SELLER, event_id, Scan(ticket.code, "East"))
    assert (result.outcome, result.gate, result.checked_in_at) == (
        ScanOutcome.ALREADY_CHECKED_IN, "West", other_gate_at)
    assert [s.outcome for s in world.store.scans] == [ScanOutcome.ALREADY_CHECKED_IN]


def upload(tickets, at: datetime) -> list[Scan]:
    return [Scan(tickets[0].code, "Gate 3", at, "n-1"), Scan(tickets[1].code, "Gate 3", at, "n-2"),
            Scan(tickets[0].code, "Gate 4", at + timedelta(seconds=5), "n-3"),
            Scan("bogus", "Gate 4", at, "n-4")]


async def test_an_offline_upload_is_recorded_at_scan_time_and_a_replay_changes_nothing(world):
    event_id, tickets = await setup(world)
    at = world.clock.now() - timedelta(minutes=30)
    results = await world.service.tickets.check_in_batch(SELLER, event_id, upload(tickets, at))
    assert [r.outcome for r in results] == [
        ScanOutcome.CHECKED_IN, ScanOutcome.CHECKED_IN, ScanOutcome.ALREADY_CHECKED_IN,
        ScanOutcome.UNKNOWN_CODE]
    assert world.store.issued[tickets[0].id].checked_in_at == at
    assert not any(r.replayed for r in results)
    before = (list(world.store.scans), dict(world.store.issued))
    world.clock.advance(600)
    again = await world.service.tickets.check_in_batch(SELLER, event_id, upload(tickets, at))
    assert [(r.outcome, r.replayed) for r in again] == [(r.outcome, True) for r in results]
    assert (world.store.scans, world.store.issued) == before


async def test_an_upload_with_a_bad_scan_records_none_of_it(world):
    event_id, tickets = await setup(world)
    scans = upload(tickets, world.clock.now())
    scans[2] = replace(scans[2], scanned_at=world.clock.now() + timedelta(hours=1))
    with pytest.raises(InvalidRequest, match="scan 2: scanned_at is in the future"):
        await world.service.tickets.check_in_batch(SELLER, event_id, scans)
    with pytest.raises(InvalidRequest, match="scan 0: nonce, gate and scanned_at are required"):
        await world.service.tickets.check_in_batch(SELLER, event_id, [Scan(tickets[0].code)])
    with pytest.raises(InvalidRequest, match="1 to 500 scans"):
        await world.service.tickets.check_in_batch(SELLER, event_id, [])
    assert world.store.scans == [] and world.store.issued[tickets[0].id].checked_in_at is None


async def test_the_scan_log_pages_newest_first_and_the_event_counts_the_door(world):
    event_id, tickets = await setup(world)
    for code in (tickets[0].code, tickets[0].code, "bogus"):
        await world.service.tickets.check_in(SELLER, event_id, Scan(code, "A"))
    page = await world.service.tickets.list_scans(SELLER, event_id, 2, 0)
    assert (page.total, [s.code for s in page.items]) == (3, ["bogus", tickets[0].code])
    assert [s.outcome for s in (await world.service.tickets.list_scans(
        SELLER, event_id, 2, 2)).items] == [ScanOutcome.CHECKED_IN]
    with pytest.raises(Forbidden):
        await world.service.tickets.list_scans(OTHER, event_id, 20, 0)
    attendance = (await world.service.get_event(event_id)).attendance
    assert (attendance.checked_in, attendance.sold) == (1, 2)


def test_a_result_tells_when_and_where_only_for_an_admitted_ticket():
    assert (ScanResult(ScanOutcome.UNKNOWN_CODE, None).checked_in_at,
            ScanResult(ScanOutcome.UNKNOWN_CODE, None).gate) == (None, None)


async def test_an_admission_tells_the_event_stream_the_new_counts_and_a_refusal_does_not(world):
    event_id, (ticket, other) = await setup(world)
    await world.service.tickets.check_in(SELLER, event_id, Scan(ticket.code, "North"))
    await world.service.tickets.check_in(SELLER, event_id, Scan(ticket.code, "South"))  # refused
    assert [(u.event_id, u.checked_in, u.sold) for u in world.notifier.attendances] == [
        (event_id, 1, 2)]
    at = world.clock.now() - timedelta(minutes=5)
    scans = [Scan(other.code, "Gate 2", at, "n-9")]
    await world.service.tickets.check_in_batch(SELLER, event_id, scans)
    await world.service.tickets.check_in_batch(SELLER, event_id, scans)  # a replay: no news
    assert [(u.checked_in, u.sold) for u in world.notifier.attendances] == [(1, 2), (2, 2)]


async def test_a_pubsub_outage_does_not_fail_a_check_in(world):
    event_id, (ticket, _) = await setup(world)
    world.notifier.down = True
    result = await world.service.tickets.check_in(SELLER, event_id, Scan(ticket.code, "North"))
    assert result.outcome is ScanOutcome.CHECKED_IN
    assert world.store.issued[ticket.id].status is IssuedTicketStatus.CHECKED_IN
