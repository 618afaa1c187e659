"""Pure parts of the drain mode: the event's size, the drain figures and the JSON report.

No I/O here, so the arithmetic is unit-tested (test/unit/test_loadtest_drain.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from deploy.loadtest.recorder import ACCEPTED, Sample
from deploy.loadtest.report import accept_stats, per_second
from deploy.loadtest.targets import MAX_SEATS, layout

TICK_S = 0.1

DRAIN_KEYS = (
    "mode", "event_id", "seats", "bookings_sent", "bookings_accepted", "bookings_rejected",
    "bookings_errors", "backlog", "build_seconds", "accept_rps", "accept_p50_ms",
    "accept_p99_ms", "kafka_lag_at_resume", "resume_to_first_settle_s", "resume_to_last_settle_s",
    "drain_seconds", "drain_rps", "drain_rps_strict", "settle_batches",
    "bookings_pending_payment", "bookings_failed",
    "oversold_seats", "lost_bookings", "stuck_bookings", "ticket_mismatches", "bit_mismatches",
    "alloc_mismatches", "counter_mismatches", "stats_mismatches", "checks_passed", "cpu_count",
)


def drain_layout(bookings: int, high: int, subsections: int, rows: int, cols: int) -> dict:
    """Sections of `subsections` × rows × cols seats holding `bookings` bookings of up to
    `high` seats each, so that no booking of the backlog can fail for want of seats (as far as
    the API's 200,000-seat limit allows)."""
    per_section = subsections * rows * cols
    seats = min(bookings * high, MAX_SEATS)
    return layout(max(1, math.ceil(seats / per_section)), subsections, rows, cols)


def per_tick(times: Iterable[float], tick: float = TICK_S) -> list[int]:
    """Counts per `tick`-second bucket from t=0; negative times land in the first bucket."""
    return per_second(t / tick for t in times)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def drain_stats(settled_at: Sequence[float], backlog: int) -> dict:
    """Drain figures from the settle times of the backlog, in seconds after the resume.

    `drain_seconds` is first → last settle (PostgreSQL `updated_at`): the consumer's own
    throughput window, without the group re-join that follows the resume. Bookings settled in
    one transaction share their `updated_at` (its start), so `settle_batches` counts the
    transactions, and the window holds the work of all but the last one: `drain_rps_strict`
    leaves the last transaction's bookings out of the count."""
    if not settled_at:
        return {"resume_to_first_settle_s": None, "resume_to_last_settle_s": None,
                "drain_seconds": None, "drain_rps": None, "drain_rps_strict": None,
                "settle_batches": 0}
    first, last = min(settled_at), max(settled_at)
    window = last - first
    in_window = backlog - settled_at.count(last)
    return {
        "resume_to_first_settle_s": _round(first),
        "resume_to_last_settle_s": _round(last),
        "drain_seconds": _round(window),
        "drain_rps": round(backlog / window, 1) if window > 0 else None,
        "drain_rps_strict": round(in_window / window, 1) if window > 0 else None,
        "settle_batches": len(set(settled_at)),
    }


def drain_report(
    run: dict, samples: Sequence[Sample], counts: dict[str, int], settled_at: Sequence[float],
    checks: dict[str, int], machine: dict,
) -> dict:
    """The JSON report of a drain run: parameters, the build (client side), the drain (from
    PostgreSQL), check counts and the machine."""
    failed = [name for name, count in checks.items() if count]
    accepted = accept_stats(samples)
    return {
        **run,
        **accepted,
        "bookings_rejected": sum(1 for s in samples if 400 <= s.status < 500),
        "bookings_errors": sum(1 for s in samples if s.status == 0 or s.status >= 500),
        "backlog": accepted["bookings_accepted"],
        **drain_stats(settled_at, accepted["bookings_accepted"]),
        "bookings_pending_payment": counts.get("pending_payment", 0),
        "bookings_failed": counts.get("failed", 0),
        "bookings_processing": counts.get("processing", 0),
        **checks,
        "checks_failed": failed,
        "checks_passed": not failed,
        "cpu_count": machine.get("cpu_count"),
        "machine": machine,
        "timeline": {
            "accepted_per_s": per_second(
                s.sent + s.latency for s in samples if s.status == ACCEPTED),
            "settled_per_100ms": per_tick(settled_at),
        },
    }
