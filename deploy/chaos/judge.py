"""The chaos checks: what the client saw and what PostgreSQL and Kvrocks hold after a fault.

The data checks of `deploy/loadtest/verify.py` run as they are (lost, double-held, stuck,
ticket/stats/bit/counter/alloc mismatches). On top of them (spec/faults.md, "Checks"):

- a `failed` booking must be justified: "not enough seats" / "seats taken" only if its
  subsection really had fewer free seats than it asked for when it settled (free seats =
  total − seats of bookings held at or before that moment, from PostgreSQL); the settle
  deadline's reason (it names the "deadline") only once the booking is that old; any other
  reason is a violation;
- every 5xx answer is a 503 with a JSON `{"detail": …}` body and a `Retry-After` header;
- a booking retried with its key never comes back with another booking id, and PostgreSQL
  holds no more unanswered bookings than the retries that never got an answer can explain;
- recovery (fault lifted → first booking held, → every booking accepted before the component
  was back settled) stays within the scenario's bounds.

The functions below are pure (rows in, counts out) so they are unit-tested without I/O.
"""

from __future__ import annotations

import bisect
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from src.service.reservation.domain.reasons import NOT_ENOUGH_SEATS, SEATS_TAKEN
from src.service.ticketing.domain.booking import FailureReason

SEAT_REASONS = (NOT_ENOUGH_SEATS, SEATS_TAKEN)
DEADLINE_REASON = str(FailureReason.NOT_CONFIRMED_IN_TIME)
DEFAULT_DEADLINE_S = 600.0
HELD = ("pending_payment", "completed")
EXPIRED = "expired"  # held its seats until its payment deadline (spec/booking.md, rule 6)
EXCEPTION_TEXT = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Conflict)): ")


def settle_deadline_s() -> float:
    """TICKETING_SETTLE_DEADLINE_S as the services see it (600 s by default)."""
    return float(os.environ.get("TICKETING_SETTLE_DEADLINE_S") or DEFAULT_DEADLINE_S)


@dataclass(frozen=True)
class Row:
    """One booking of the event as PostgreSQL holds it (times: epoch seconds)."""

    id: str
    status: str
    section: str
    subsection: int
    quantity: int
    seats: int
    reason: str | None
    created: float
    updated: float


def reason_group(reason: str | None) -> str:
    """A failure reason as the report groups it: exception texts by exception name."""
    if not reason:
        return "(no reason)"
    match = EXCEPTION_TEXT.match(reason)
    return f"{match.group(1)}: …" if match else reason[:80]


class FreeSeats:
    """Free seats of each subsection at any moment: total minus the seats of the bookings
    held at or before it (settled in the same transaction counts as before: lenient). An
    expired booking's seats count as held from its creation (its settle time is not kept:
    lenient again) until it expired, then as free."""

    def __init__(self, rows: list[Row], seats_per_subsection: int):
        self.total = seats_per_subsection
        held: dict[tuple[str, int], list[tuple[float, int]]] = defaultdict(list)
        for r in rows:
            if r.status in HELD:
                held[(r.section, r.subsection)].append((r.updated, r.seats))
            elif r.status == EXPIRED:
                held[(r.section, r.subsection)] += [(r.created, r.seats), (r.updated, -r.seats)]
        self._times: dict[tuple[str, int], list[float]] = {}
        self._sums: dict[tuple[str, int], list[int]] = {}
        for where, items in held.items():
            items.sort()
            self._times[where] = [t for t, _ in items]
            sums, acc = [], 0
            for _, n in items:
                acc += n
                sums.append(acc)
            self._sums[where] = sums

    def at(self, section: str, subsection: int, moment: float) -> int:
        """Free seats of the subsection at `moment`."""
        times = self._times.get((section, subsection), [])
        n = bisect.bisect_right(times, moment)
        return self.total - (self._sums[(section, subsection)][n - 1] if n else 0)


def failure_verdicts(rows: list[Row], seats_per_subsection: int, deadline_s: float) -> dict:
    """Every failed booking judged: counts by reason group, the unjustified ones by kind
    (`failed_with_free_seats`, `failed_other_reason`) and a few examples."""
    free = FreeSeats(rows, seats_per_subsection)
    by_reason: Counter[str] = Counter()
    bad: Counter[str] = Counter()
    examples: list[str] = []
    for r in (r for r in rows if r.status == "failed"):
        by_reason[reason_group(r.reason)] += 1
        kind = _unjustified(r, free, deadline_s)
        if kind:
            bad[kind] += 1
            if len(examples) < 5:
                examples.append(f"{r.id} {r.section}:{r.subsection} q{r.quantity}: "
                                f"{(r.reason or '')[:100]}")
    return {"failed_by_reason": dict(by_reason.most_common()),
            "failed_with_free_seats": bad["failed_with_free_seats"],
            "failed_other_reason": bad["failed_other_reason"], "failure_examples": examples}


def _unjustified(r: Row, free: FreeSeats, deadline_s: float) -> str | None:
    if r.reason in SEAT_REASONS:
        enough = free.at(r.section, r.subsection, r.updated) >= r.quantity
        return "failed_with_free_seats" if enough else None
    if r.reason == DEADLINE_REASON and r.updated - r.created >= deadline_s:
        return None
    return "failed_other_reason"


def response_checks(attempts: list) -> dict:
    """Answers by status over every attempt; no-answers by error; the 5xx that break the
    rule (anything but a 503 with a JSON `{"detail": …}` body) and 503s without Retry-After."""
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    bad, no_retry_after = 0, 0
    for a in attempts:
        if a.status == 0:
            errors[a.error or "error"] += 1
            continue
        statuses[str(a.status)] += 1
        if a.status >= 500:
            json_detail = isinstance(a.body, dict) and "detail" in a.body
            if a.status != 503 or not json_detail:
                bad += 1
            elif a.retry_after is None:
                no_retry_after += 1
    return {"responses_by_status": dict(sorted(statuses.items())),
            "connection_errors": dict(errors.most_common()),
            "bad_5xx": bad, "503_without_retry_after": no_retry_after}


def retry_checks(bookings: list, stored_ids: set[str]) -> dict:
    """Duplicates on retry: bookings answered 202 with two ids, plus bookings PostgreSQL holds
    that no answer named, beyond the bookings that never got an answer after an attempt that
    may have reached the server (those may each have left one row behind)."""
    seen = {i for b in bookings for i in b.ids}
    two_ids = sum(1 for b in bookings if len(b.ids) > 1)
    unanswered = sum(1 for b in bookings
                     if not b.accepted and any(a.ambiguous for a in b.attempts))
    orphans = len(stored_ids - seen)
    return {"retried_bookings": sum(1 for b in bookings if len(b.attempts) > 1),
            "replayed_answers": sum(1 for b in bookings for a in b.attempts if a.replayed),
            "gave_up": sum(1 for b in bookings if b.final in (0, 503)),
            "unanswered_ambiguous": unanswered, "orphan_bookings": orphans,
            "duplicate_on_retry": two_ids + max(0, orphans - unanswered)}


def recovery(rows: list[Row], injected: float, lifted: float, restored: float | None) -> dict:
    """Seconds from the lift to the first hold of a booking created since the fault began,
    and to the settling of the last booking created before the component was back (None:
    never, or one of them is still processing)."""
    first = [r.updated - lifted for r in rows
             if r.status in HELD and r.created >= injected and r.updated >= lifted]
    backlog = [r for r in rows if r.created <= (restored or lifted)]
    settled = all(r.status != "processing" for r in backlog)
    last = max((r.updated for r in backlog), default=lifted)
    return {"recovery_first_s": round(min(first), 2) if first else None,
            "recovery_all_s": round(max(0.0, last - lifted), 2) if settled else None}


def bound_checks(rec: dict, first_bound: float, all_bound: float) -> dict:
    """1 for each recovery figure that is missing or over its bound."""
    def over(value: float | None, bound: float) -> int:
        return int(value is None or value > bound)
    return {"recovery_first_over_bound": over(rec["recovery_first_s"], first_bound),
            "recovery_all_over_bound": over(rec["recovery_all_s"], all_bound)}


VIOLATION_KEYS = (
    "lost_bookings", "oversold_seats", "stuck_bookings", "failed_with_free_seats",
    "failed_other_reason", "bad_5xx", "503_without_retry_after", "duplicate_on_retry",
    "ticket_mismatches", "stats_mismatches", "issued_mismatches", "holding_mismatches",
    "bit_mismatches",
    "counter_mismatches", "alloc_mismatches", "recovery_first_over_bound",
    "recovery_all_over_bound",
    "fault_action_failed",
)


def violations(figures: dict) -> dict[str, int]:
    """The violated checks of a scenario's figures, with their counts."""
    return {k: figures[k] for k in VIOLATION_KEYS if figures.get(k)}
