"""Pure helpers of the load tool's drain mode: event size, drain figures, report, pid parsing."""

import pytest

from deploy.loadtest.consumers import NotConsumers, parse_pids
from deploy.loadtest.drain_report import (
    DRAIN_KEYS,
    drain_layout,
    drain_report,
    drain_stats,
    per_tick,
)
from deploy.loadtest.recorder import Sample
from deploy.loadtest.targets import seats_of


def test_drain_layout_holds_every_booking_of_the_backlog():
    config = drain_layout(50_000, 1, 2, 25, 50)
    assert len(config["sections"]) == 20
    assert seats_of(config) == 50_000
    assert seats_of(drain_layout(5_000, 1, 2, 25, 50)) == 5_000
    assert seats_of(drain_layout(1_001, 2, 2, 25, 50)) == 2_500
    assert seats_of(drain_layout(10, 1, 2, 25, 50)) == 2_500


def test_drain_layout_stops_at_the_api_limit():
    assert seats_of(drain_layout(50_000, 4, 2, 25, 50)) == 200_000
    assert seats_of(drain_layout(90_000, 4, 2, 25, 50)) == 200_000


def test_per_tick_counts_into_tenth_of_a_second_buckets():
    assert per_tick([]) == []
    assert per_tick([0.01, 0.05, 0.25, -0.1]) == [3, 0, 1]


def test_drain_stats_measure_first_to_last_settle():
    stats = drain_stats([3.0, 3.0, 3.5, 5.0], backlog=4)
    assert stats["resume_to_first_settle_s"] == 3.0
    assert stats["resume_to_last_settle_s"] == 5.0
    assert stats["drain_seconds"] == 2.0
    assert stats["drain_rps"] == 2.0
    assert stats["drain_rps_strict"] == 1.5
    assert stats["settle_batches"] == 3


def test_drain_stats_without_a_window():
    assert drain_stats([], backlog=0)["drain_rps"] is None
    one_batch = drain_stats([2.0, 2.0], backlog=2)
    assert one_batch["drain_seconds"] == 0.0
    assert one_batch["drain_rps"] is None
    assert one_batch["drain_rps_strict"] is None


def test_drain_report_carries_the_required_fields_and_fails_on_any_violation():
    samples = [Sample(0.0, 0.01, 202, 1, "a"), Sample(0.1, 0.01, 202, 1, "b"),
               Sample(0.2, 0.01, 503, 1)]
    checks = {"oversold_seats": 0, "lost_bookings": 0, "stuck_bookings": 0}
    run = {"mode": "drain", "build_seconds": 0.21}
    report = drain_report(run, samples, {"pending_payment": 2}, [1.0, 1.5], checks,
                          {"cpu_count": 2})
    assert report["backlog"] == 2
    assert report["bookings_errors"] == 1
    assert report["drain_rps"] == 4.0
    assert report["bookings_pending_payment"] == 2
    assert report["timeline"]["settled_per_100ms"][-1] == 1
    assert report["checks_passed"] is True
    for key in ("backlog", "drain_seconds", "drain_rps", "resume_to_first_settle_s",
                "resume_to_last_settle_s", "build_seconds", "accept_rps", "cpu_count"):
        assert key in report and key in DRAIN_KEYS, key
    broken = drain_report(run, samples, {}, [1.0], checks | {"stuck_bookings": 1}, {})
    assert broken["checks_failed"] == ["stuck_bookings"]


def test_parse_pids_accepts_spaces_and_commas_and_refuses_nothing():
    assert parse_pids("12 34,56 12") == [12, 34, 56]
    for bad in (None, "", "  ", "12 abc", "1", "-5"):
        with pytest.raises(NotConsumers):
            parse_pids(bad)

