"""Pure helpers of the load tool (deploy/loadtest): percentiles, series, report, targets."""

import random

import pytest

from deploy.loadtest.recorder import Recorder, Sample
from deploy.loadtest.report import (
    Settled,
    accept_stats,
    add_up,
    build_report,
    format_table,
    merge_settled,
    per_second,
    percentile,
)
from deploy.loadtest.targets import Pool, layout, seats_of, subsections_of


def test_percentile_interpolates_between_closest_ranks():
    assert percentile([], 50) is None
    assert percentile([7.0], 99) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile(list(range(101)), 99) == 99
    assert percentile([1.0, 2.0], 100) == 2.0


def test_per_second_counts_into_one_second_buckets_from_zero():
    assert per_second([]) == []
    assert per_second([0.1, 0.9, 2.5, -0.2]) == [3, 0, 1]


def test_recorder_counts_by_status():
    rec = Recorder()
    for status in (202, 202, 400, 503, 0):
        rec.add(Sample(0.0, 0.01, status, 1, "id" if status == 202 else None))
    assert (rec.accepted, rec.rejected, rec.errors) == (2, 1, 2)
    assert rec.accepted_ids() == ["id", "id"]


def test_accept_stats_use_only_accepted_requests():
    samples = [
        Sample(0.0, 0.010, 202, 2, "a"),
        Sample(0.5, 0.030, 202, 1, "b"),
        Sample(0.9, 0.100, 400, 1),
        Sample(1.0, 0.020, 202, 1, "c"),
    ]
    stats = accept_stats(samples)
    assert stats["bookings_sent"] == 4
    assert stats["bookings_accepted"] == 3
    assert stats["seats_accepted"] == 4
    assert stats["accept_seconds"] == 1.02
    assert stats["accept_rps"] == pytest.approx(3 / 1.02, abs=0.1)
    assert stats["accept_p50_ms"] == 20.0
    assert stats["accept_max_ms"] == 30.0


def test_report_carries_the_required_fields_and_fails_on_any_violation():
    samples = [Sample(0.0, 0.01, 202, 1, "a"), Sample(0.1, 0.01, 400, 1)]
    settled = Settled({"pending_payment": 1}, [12.0], [0.4], 0.4)
    checks = {"oversold_seats": 0, "lost_bookings": 0, "stuck_bookings": 0}
    run = {"mode": "sellout", "seats": 1, "sold_out": True}
    report = build_report(run, samples, settled, checks,
                          {"cpu_count": 2})
    for key in ("seats", "bookings_accepted", "bookings_rejected", "sellout_seconds",
                "accept_rps", "accept_p50_ms", "accept_p99_ms", "settle_p50_ms",
                "settle_p99_ms", "oversold_seats", "lost_bookings", "stuck_bookings",
                "cpu_count"):
        assert key in report, key
    assert report["bookings_rejected"] == 1
    assert report["sellout_seconds"] == 0.4
    assert report["checks_passed"] is True
    broken = build_report({"mode": "sellout"}, samples, settled, checks | {"bit_mismatches": 1},
                          {"cpu_count": 2})
    assert broken["checks_passed"] is False
    assert broken["checks_failed"] == ["bit_mismatches"]


def test_add_up_sums_counts_of_several_events_and_keeps_zeros():
    assert add_up([]) == {}
    total = add_up([{"oversold_seats": 0, "lost": 1}, {"oversold_seats": 0, "lost": 2, "x": 3}])
    assert total == {"oversold_seats": 0, "lost": 3, "x": 3}


def test_merge_settled_pools_timings_and_takes_the_latest_hold():
    merged = merge_settled([
        Settled({"pending_payment": 2, "failed": 1}, [10.0, 30.0, 50.0], [1.0, 2.0, 3.0], 2.0),
        Settled({"pending_payment": 1}, [20.0], [4.0], 4.0),
        Settled({}, [], [], None),
    ])
    assert merged.status_counts == {"pending_payment": 3, "failed": 1}
    assert sorted(merged.settle_ms) == [10.0, 20.0, 30.0, 50.0]
    assert percentile(merged.settle_ms, 50) == 25.0
    assert merged.settled_at == [1.0, 2.0, 3.0, 4.0]
    assert merged.last_held_s == 4.0
    assert merge_settled([Settled()]).last_held_s is None


def test_format_table_aligns_known_keys_and_shows_none_as_dash():
    report = {"mode": "sellout", "accept_rps": None, "other": 1}
    table = format_table(report, ("mode", "accept_rps"))
    assert table.splitlines() == ["mode        sellout", "accept_rps  -"]


def test_default_layout_has_ten_thousand_seats_in_twenty_subsections():
    config = layout(10, 2, 25, 20)
    assert seats_of(config) == 10_000
    assert len(subsections_of(config)) == 20


def test_pool_narrows_quantity_and_closes_a_subsection_refused_for_one_seat():
    pool = Pool([(7, "A", 1), (7, "A", 2)], 1, 4)
    target = pool.next()
    pool.refused(target, 3)
    rng = random.Random(1)
    assert {pool.quantity(target, rng) for _ in range(50)} == {1, 2}
    pool.refused(target, 1)
    assert pool.open_count == 1
    pool.refused(pool.next(), 1)
    assert pool.next() is None
