"""Recording one scan at the door: judge, check in, log (spec/tickets.md, rules 9–10), shared
by the live and the offline check-in."""

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from src.service.contract import AttendanceUpdate
from src.service.lifecycle import CHECK_IN, ScanOutcome
from src.service.ticketing.application.ports import Unavailable, UnitOfWork, UnitOfWorkFactory
from src.service.ticketing.application.ticket_ports import AttendanceNotifier
from src.service.ticketing.domain.check_in import Scan, ScanRecord, ScanResult, judge
from src.service.ticketing.domain.issued_ticket import IssuedTicket

log = logging.getLogger(__name__)


async def announce_attendance(
    uow: UnitOfWorkFactory, notifier: AttendanceNotifier, event_id: int,
    results: Sequence[ScanResult],
) -> None:
    """After scans that admitted someone (not replays), tell the event stream the door's new
    counts (spec/tickets.md, rule 11). Best effort, like every announcement: the check-in is
    committed, so a pub/sub or PostgreSQL outage here is logged, not raised."""
    if not any(r.outcome is ScanOutcome.CHECKED_IN and not r.replayed for r in results):
        return
    try:
        async with uow() as unit:
            counts = await unit.door.attendance(event_id)
        await notifier.attendance(AttendanceUpdate(event_id=event_id, checked_in=counts.checked_in,
                                                   sold=counts.sold))
    except Unavailable as e:
        log.warning("attendance_announce_failed event_id=%s error=%r", event_id, e)


class _NonceTaken(Exception):
    """A concurrent upload logged the same nonce first; this transaction is rolled back."""


async def record_scan(
    uow: UnitOfWorkFactory, staff_id: int, event_id: int, scan: Scan, now: datetime
) -> ScanResult:
    """Judge the scan, check a valid ticket in (compare-and-set), and log the attempt, all in
    one transaction. A scan whose nonce is already logged changes nothing and answers what was
    recorded then (`replayed`)."""
    try:
        async with uow() as unit:
            return await _record(unit, staff_id, event_id, scan, now)
    except _NonceTaken:
        async with uow() as unit:
            seen = await unit.door.scan_by_nonce(event_id, scan.nonce or "")
            assert seen is not None, "the nonce was logged by the upload that won"
            return await _replay(unit, seen)


async def _record(
    unit: UnitOfWork, staff_id: int, event_id: int, scan: Scan, now: datetime
) -> ScanResult:
    if scan.nonce is not None:
        seen = await unit.door.scan_by_nonce(event_id, scan.nonce)
        if seen is not None:
            return await _replay(unit, seen)
    at = scan.scanned_at or now
    ticket, outcome = await _admit(unit, event_id, scan, at)
    own = None if outcome is ScanOutcome.WRONG_EVENT else ticket  # nothing of other events
    record = ScanRecord(event_id, own.id if own else None, scan.code, outcome, scan.gate,
                        staff_id, at, scan.nonce)
    if not await unit.door.log_scan(record):
        raise _NonceTaken
    return ScanResult(outcome, own)


async def _admit(
    unit: UnitOfWork, event_id: int, scan: Scan, at: datetime
) -> tuple[IssuedTicket | None, ScanOutcome]:
    """The ticket of the code and the outcome; a valid one is checked in. When another gate
    checks it in between the read and the write, the compare-and-set finds it no longer valid
    and the ticket is read and judged again: a ticket only ever leaves `valid`, so this loops
    at most twice."""
    while True:
        ticket = await unit.issued_tickets.by_code(scan.code)
        outcome = judge(ticket, event_id)
        if ticket is None or outcome is not ScanOutcome.CHECKED_IN:
            return ticket, outcome
        if await unit.issued_tickets.check_in(ticket.id, at, scan.gate):
            admitted = replace(ticket, status=CHECK_IN.target, checked_in_at=at,
                               checked_in_gate=scan.gate)
            return admitted, outcome


async def _replay(unit: UnitOfWork, seen: ScanRecord) -> ScanResult:
    view = await unit.issued_tickets.get(seen.ticket_id) if seen.ticket_id else None
    return ScanResult(seen.outcome, view.ticket if view else None, replayed=True)
