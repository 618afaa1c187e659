"""Use case: a gate scans a ticket's code (spec/tickets.md, rules 8–9)."""

from dataclasses import dataclass

from src.service.ticketing.application.door_access import door_event
from src.service.ticketing.application.door_scans import announce_attendance, record_scan
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.ports import Clock, UnitOfWorkFactory
from src.service.ticketing.application.ticket_ports import AttendanceNotifier
from src.service.ticketing.domain.check_in import Scan, ScanResult, check_scan
from src.service.ticketing.domain.user import Principal


@dataclass(frozen=True)
class CheckIn:
    """The seller or door staff of the event scans a code: a valid ticket of the event is
    checked in (compare-and-set, so of two gates scanning at once exactly one admits it);
    every attempt, admitted or refused, is logged; an admission updates the event stream's
    counts."""

    uow: UnitOfWorkFactory
    layouts: EventLayouts
    clock: Clock
    notifier: AttendanceNotifier

    async def __call__(self, principal: Principal, event_id: int, scan: Scan) -> ScanResult:
        """The outcome. Raises `NotFound` (event), `Forbidden` (not door staff),
        `InvalidRequest` (a malformed scan; nothing is logged)."""
        await door_event(self.uow, self.layouts, principal, event_id)
        check_scan(scan, self.clock.now())
        result = await record_scan(self.uow, principal.user_id, event_id, scan, self.clock.now())
        await announce_attendance(self.uow, self.notifier, event_id, [result])
        return result
