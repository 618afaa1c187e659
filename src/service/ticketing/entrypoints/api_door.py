"""/api/event/{id}: door staff, check-in (live and offline), the scan log (spec/tickets.md,
rules 8–11), under the input rules of spec/security.md (`entrypoints/inputs.py`)."""

from fastapi import APIRouter

from src.service.lifecycle import ScanOutcome
from src.service.ticketing.domain.check_in import refusal
from src.service.ticketing.domain.errors import Conflict, NotFound
from src.service.ticketing.domain.paging import DEFAULT_LIMIT
from src.service.ticketing.entrypoints.deps import Caller, Service
from src.service.ticketing.entrypoints.door_schemas import (
    CheckedInOut,
    ScanIn,
    ScanPageOut,
    StaffIn,
    StaffOut,
    UploadIn,
    UploadOut,
    UploadResultOut,
)
from src.service.ticketing.entrypoints.inputs import (
    EventIdPath,
    LimitQuery,
    OffsetQuery,
    documented,
    email_address,
    json_body,
)

router = APIRouter(prefix="/api/event", tags=["door"])


@router.get("/{event_id}/staff")
async def list_staff(event_id: EventIdPath, caller: Caller, service: Service) -> list[StaffOut]:
    """The event's door staff (its seller only)."""
    return [StaffOut.of(u) for u in await service.tickets.list_staff(caller, event_id)]


@router.post("/{event_id}/staff", status_code=201, openapi_extra=documented(StaffIn))
async def add_staff(
    event_id: EventIdPath, caller: Caller, service: Service, body: StaffIn = json_body(StaffIn)
) -> StaffOut:
    """The seller adds a registered account as door staff (idempotent)."""
    email = email_address(body.email.strip())
    return StaffOut.of(await service.tickets.add_staff(caller, event_id, email))


@router.delete("/{event_id}/staff", status_code=204, openapi_extra=documented(StaffIn))
async def remove_staff(
    event_id: EventIdPath, caller: Caller, service: Service, body: StaffIn = json_body(StaffIn)
) -> None:
    """The seller removes door staff."""
    await service.tickets.remove_staff(caller, event_id, email_address(body.email.strip()))


@router.post("/{event_id}/check-in", openapi_extra=documented(ScanIn))
async def check_in(
    event_id: EventIdPath, caller: Caller, service: Service, body: ScanIn = json_body(ScanIn)
) -> CheckedInOut:
    """Scan a code: 200 for a first scan of a valid ticket; 409 (already checked in, with the
    first scan's time and gate; refunded; transferred; another event's) or 404 (unknown
    code) otherwise. Every attempt is logged."""
    result = await service.tickets.check_in(caller, event_id, body.to_scan())
    if result.outcome is ScanOutcome.CHECKED_IN:
        return CheckedInOut.of(result)
    if result.outcome is ScanOutcome.UNKNOWN_CODE:
        raise NotFound(refusal(result))
    raise Conflict(refusal(result))


@router.post("/{event_id}/check-in/batch", openapi_extra=documented(UploadIn))
async def check_in_batch(
    event_id: EventIdPath, caller: Caller, service: Service,
    upload: UploadIn = json_body(UploadIn),
) -> UploadOut:
    """An offline gate's upload `[{code, nonce, scanned_at, gate}]`: each scan recorded at
    its own time, idempotent by its nonce; one result per scan, in order."""
    scans = upload.root
    results = await service.tickets.check_in_batch(caller, event_id, [s.to_scan() for s in scans])
    return UploadOut(results=[UploadResultOut.of(s.nonce, r)
                              for s, r in zip(scans, results, strict=True)])


@router.get("/{event_id}/check-ins")
async def scan_log(
    event_id: EventIdPath, caller: Caller, service: Service, limit: LimitQuery = DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> ScanPageOut:
    """Every scan attempt of the event, newest first (seller and door staff)."""
    return ScanPageOut.of(await service.tickets.list_scans(caller, event_id, limit, offset))
