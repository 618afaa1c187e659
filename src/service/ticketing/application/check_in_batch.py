"""Use case: an offline gate uploads the scans it made (spec/tickets.md, rule 10)."""

from collections.abc import Sequence
from dataclasses import dataclass

from src.service.ticketing.application.door_access import door_event
from src.service.ticketing.application.door_scans import announce_attendance, record_scan
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.ports import Clock, UnitOfWorkFactory
from src.service.ticketing.application.ticket_ports import AttendanceNotifier
from src.service.ticketing.domain.check_in import MAX_BATCH, Scan, ScanResult, check_scan
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.user import Principal


def check_upload(scans: Sequence[Scan], clock: Clock) -> None:
    """1–`MAX_BATCH` scans, each with its nonce, gate and scan time, each well formed; raises
    `InvalidRequest` naming the first bad item (by its 0-based index)."""
    if not 1 <= len(scans) <= MAX_BATCH:
        raise InvalidRequest(f"An upload holds 1 to {MAX_BATCH} scans")
    now = clock.now()
    for i, scan in enumerate(scans):
        try:
            if scan.nonce is None or scan.gate is None or scan.scanned_at is None:
                raise InvalidRequest("nonce, gate and scanned_at are required")
            check_scan(scan, now)
        except InvalidRequest as e:
            raise InvalidRequest(f"scan {i}: {e}") from None


@dataclass(frozen=True)
class CheckInBatch:
    """Each scan is recorded as a live one would be, at its own scan time, in upload order;
    each is idempotent by its nonce, so an upload sent twice changes nothing the second time.
    The whole upload is checked before any scan is recorded."""

    uow: UnitOfWorkFactory
    layouts: EventLayouts
    clock: Clock
    notifier: AttendanceNotifier

    async def __call__(
        self, principal: Principal, event_id: int, scans: Sequence[Scan]
    ) -> list[ScanResult]:
        """One result per scan, in order. Raises `NotFound`, `Forbidden`, `InvalidRequest`."""
        await door_event(self.uow, self.layouts, principal, event_id)
        check_upload(scans, self.clock)
        results = [await record_scan(self.uow, principal.user_id, event_id, scan,
                                     self.clock.now()) for scan in scans]
        await announce_attendance(self.uow, self.notifier, event_id, results)
        return results
