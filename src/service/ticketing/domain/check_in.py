"""Check-in at the door: what a gate reports, what it is told, and what is logged
(spec/tickets.md, rules 8–11). Pure rules; the compare-and-set is the use case's."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from src.service.lifecycle import IssuedTicketStatus, ScanOutcome
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.issued_ticket import IssuedTicket

MAX_CODE = 100
MAX_GATE = 50
MAX_NONCE = 100
MAX_BATCH = 500
CLOCK_SKEW = timedelta(minutes=5)  # how far in the future an offline gate's clock may be

_BY_STATUS = {
    IssuedTicketStatus.VALID: ScanOutcome.CHECKED_IN,
    IssuedTicketStatus.CHECKED_IN: ScanOutcome.ALREADY_CHECKED_IN,
    IssuedTicketStatus.REFUNDED: ScanOutcome.REFUNDED,
    IssuedTicketStatus.TRANSFERRED: ScanOutcome.TRANSFERRED,
}


@dataclass(frozen=True)
class Scan:
    """One scan reported by a gate: the `code` read, the `gate`'s name, and for an offline
    gate the time it scanned (`scanned_at`, with its offset) and a `nonce` that makes its
    upload idempotent. A live scan has neither: the server's clock is the time."""

    code: str
    gate: str | None = None
    scanned_at: datetime | None = None
    nonce: str | None = None


@dataclass(frozen=True)
class ScanRecord:
    """One line of the append-only scan log; `ticket_id` only for a ticket of this event."""

    event_id: int
    ticket_id: int | None
    code: str
    outcome: ScanOutcome
    gate: str | None
    staff_id: int
    scanned_at: datetime
    nonce: str | None
    id: int = 0
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class ScanResult:
    """What the gate is told: the outcome, the ticket (None for an unknown code or another
    event's ticket), when and where it was checked in (the first scan's, for a second scan),
    and whether this answer replays an upload already recorded under the same nonce."""

    outcome: ScanOutcome
    ticket: IssuedTicket | None
    replayed: bool = False

    @property
    def checked_in_at(self) -> datetime | None:
        """When the ticket was admitted, if it was."""
        return self.ticket.checked_in_at if self.ticket else None

    @property
    def gate(self) -> str | None:
        """Where the ticket was admitted, if it was."""
        return self.ticket.checked_in_gate if self.ticket else None


def check_scan(scan: Scan, now: datetime) -> None:
    """spec/tickets.md, rule 10: a code of 1–100 characters, a gate name of at most 50, a
    nonce of 1–100, a scan time with its offset no later than `now` plus `CLOCK_SKEW`; raises
    `InvalidRequest`."""
    if not 1 <= len(scan.code) <= MAX_CODE:
        raise InvalidRequest(f"code must be 1 to {MAX_CODE} characters")
    if scan.gate is not None and not 1 <= len(scan.gate) <= MAX_GATE:
        raise InvalidRequest(f"gate must be 1 to {MAX_GATE} characters")
    if scan.nonce is not None and not 1 <= len(scan.nonce) <= MAX_NONCE:
        raise InvalidRequest(f"nonce must be 1 to {MAX_NONCE} characters")
    if scan.scanned_at is not None:
        if scan.scanned_at.utcoffset() is None:
            raise InvalidRequest("scanned_at must carry its UTC offset")
        if scan.scanned_at > now + CLOCK_SKEW:
            raise InvalidRequest("scanned_at is in the future")


def judge(ticket: IssuedTicket | None, event_id: int) -> ScanOutcome:
    """spec/tickets.md, rule 9: the outcome of scanning `ticket` (None: no ticket has the
    code) at a door of `event_id`. Another event's ticket is refused whatever its status."""
    if ticket is None:
        return ScanOutcome.UNKNOWN_CODE
    if ticket.event_id != event_id:
        return ScanOutcome.WRONG_EVENT
    return _BY_STATUS[ticket.status]


def refusal(result: ScanResult) -> str:
    """The message for a refused scan (spec/tickets.md, rule 9), times in UTC; '' for an
    admitted one."""
    outcome = result.outcome
    if outcome is ScanOutcome.ALREADY_CHECKED_IN:
        when = result.checked_in_at
        at = when.astimezone(UTC).isoformat() if when else "an unknown time"
        return f"Ticket already checked in at {at} (gate {result.gate or 'not given'})"
    return {
        ScanOutcome.CHECKED_IN: "",
        ScanOutcome.REFUNDED: "Ticket was refunded",
        ScanOutcome.TRANSFERRED: "Ticket was transferred: this code is no longer valid",
        ScanOutcome.WRONG_EVENT: "Ticket is for another event",
        ScanOutcome.UNKNOWN_CODE: "Unknown ticket code",
    }[outcome]
