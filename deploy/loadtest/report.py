"""Pure report building: percentiles, per-second series, the JSON report and the summary table.

No I/O here, so the arithmetic is unit-tested (test/unit/test_loadtest_report.py).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from deploy.loadtest.recorder import ACCEPTED, Sample

TABLE_KEYS = (
    "mode", "event_id", "seats", "bookings_sent", "bookings_accepted", "bookings_rejected",
    "bookings_errors", "bookings_dropped", "bookings_pending_payment", "bookings_failed",
    "sellout_seconds", "accept_rps", "accept_p50_ms", "accept_p99_ms", "settle_p50_ms",
    "settle_p99_ms", "settle_rps", "oversold_seats", "lost_bookings", "stuck_bookings",
    "ticket_mismatches", "bit_mismatches", "alloc_mismatches", "counter_mismatches",
    "stats_mismatches", "holding_mismatches", "unheld_seats", "sse_event_streams",
    "sse_event_streams_opened",
    "sse_event_streams_open_at_end", "sse_event_streams_ended_early", "sse_event_messages",
    "sse_booking_streams", "sse_booking_streams_opened", "sse_booking_streams_open_at_end",
    "sse_booking_streams_ended_early", "sse_booking_streams_closed_by_server",
    "sse_booking_messages", "connect_p50_ms", "connect_p99_ms", "bookings_retried",
    "listen_overflows", "listen_drops", "loader_fire_cpu_seconds", "loader_fire_seconds",
    "loader_cores", "checks_passed", "cpu_count",
)


@dataclass(frozen=True)
class Settled:
    """Bookings of the run as PostgreSQL recorded them. Times are seconds after the first
    request; `settle_ms` is created_at → updated_at of each settled booking."""

    status_counts: dict[str, int] = field(default_factory=dict)
    settle_ms: list[float] = field(default_factory=list)
    settled_at: list[float] = field(default_factory=list)
    last_held_s: float | None = None


def add_up(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    """Counts of several events summed key by key (zeros kept)."""
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return dict(total)


def merge_settled(parts: Sequence[Settled]) -> Settled:
    """Several events' settle facts as one run's: counts summed, timings concatenated, the last
    seat held the latest of all."""
    held = [p.last_held_s for p in parts if p.last_held_s is not None]
    return Settled(
        status_counts=add_up(p.status_counts for p in parts),
        settle_ms=[ms for p in parts for ms in p.settle_ms],
        settled_at=[t for p in parts for t in p.settled_at],
        last_held_s=max(held, default=None),
    )


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100), linear between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def per_second(times: Iterable[float]) -> list[int]:
    """Counts per one-second bucket from t=0; negative times land in the first bucket."""
    buckets: list[int] = []
    for t in times:
        i = max(0, int(t))
        if i >= len(buckets):
            buckets.extend([0] * (i + 1 - len(buckets)))
        buckets[i] += 1
    return buckets


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def accept_stats(samples: Sequence[Sample]) -> dict:
    """Accept counts, rate and latency percentiles of the 202 answers."""
    accepted = [s for s in samples if s.status == ACCEPTED]
    latencies = [s.latency for s in accepted]
    window = max((s.sent + s.latency for s in accepted), default=0.0)
    return {
        "bookings_sent": len(samples),
        "bookings_accepted": len(accepted),
        "seats_accepted": sum(s.quantity for s in accepted),
        "accept_seconds": _round(window),
        "accept_rps": _round(len(accepted) / window, 1) if window else None,
        "accept_p50_ms": _ms(percentile(latencies, 50)),
        "accept_p90_ms": _ms(percentile(latencies, 90)),
        "accept_p99_ms": _ms(percentile(latencies, 99)),
        "accept_max_ms": _ms(max(latencies, default=None)),
    }


def settle_stats(settled: Settled) -> dict:
    """Settle latency percentiles and rate, from PostgreSQL timestamps."""
    last = max(settled.settled_at, default=0.0)
    count = len(settled.settled_at)
    return {
        "bookings_pending_payment": settled.status_counts.get("pending_payment", 0),
        "bookings_failed": settled.status_counts.get("failed", 0),
        "bookings_processing": settled.status_counts.get("processing", 0),
        "settle_seconds": _round(last),
        "settle_rps": _round(count / last, 1) if last > 0 else None,
        "settle_p50_ms": _round(percentile(settled.settle_ms, 50), 2),
        "settle_p90_ms": _round(percentile(settled.settle_ms, 90), 2),
        "settle_p99_ms": _round(percentile(settled.settle_ms, 99), 2),
        "settle_max_ms": _round(max(settled.settle_ms, default=None), 2),
        "last_held_seconds": _round(settled.last_held_s),
    }


def build_report(
    run: dict, samples: Sequence[Sample], settled: Settled, checks: dict[str, int],
    machine: dict,
) -> dict:
    """The JSON report: run parameters, client and server figures, check counts, machine."""
    rejected = sum(1 for s in samples if 400 <= s.status < 500)
    failed = [name for name, count in checks.items() if count]
    return {
        **run,
        **accept_stats(samples),
        "bookings_rejected": rejected,
        "bookings_errors": sum(1 for s in samples if s.status == 0 or s.status >= 500),
        **settle_stats(settled),
        "sellout_seconds": _round(settled.last_held_s) if run.get("sold_out") else None,
        **checks,
        "checks_failed": failed,
        "checks_passed": not failed,
        "cpu_count": machine.get("cpu_count"),
        "machine": machine,
        "timeline": {
            "accepted_per_s": per_second(
                s.sent + s.latency for s in samples if s.status == ACCEPTED
            ),
            "settled_per_s": per_second(settled.settled_at),
        },
    }


def format_table(report: dict, keys: Sequence[str] = TABLE_KEYS) -> str:
    """Two aligned columns, key and value, of the keys present in `report`."""
    rows = [(k, report[k]) for k in keys if k in report]
    width = max((len(k) for k, _ in rows), default=0)
    return "\n".join(f"{k:<{width}}  {'-' if v is None else v}" for k, v in rows)
