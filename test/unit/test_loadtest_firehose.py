"""The Python side of the Go client: plans built like the other modes' bookings, results
folded into the Recorder and the report's facts (deploy/loadtest/firehose.py)."""

import json
import random

import pytest

from deploy.loadtest.api import NotLoopback
from deploy.loadtest.cli import parser
from deploy.loadtest.firehose import (
    FirehoseError,
    Planned,
    _netstat_file,
    fold,
    listen_delta,
    plan,
    ramp_bookings,
    source_digest,
    stampede_bookings,
)
from deploy.loadtest.main import must_sell_out
from deploy.loadtest.recorder import ACCEPTED
from deploy.loadtest.retry import RetryPolicy
from deploy.loadtest.targets import SOLD_OUT, Pool, layout, targets_of

CONFIG = layout(2, 2, 1, 5)  # 4 subsections of 5 seats


def pool(low=1, high=1):
    return Pool(targets_of([7], CONFIG), low, high)


def test_stampede_buyers_take_the_subsections_in_turn_each_with_its_own_key():
    planned = stampede_bookings(20, ["t0", "t1", "t2"], pool(), random.Random(1))
    assert len(planned) == 20
    per_subsection = {}
    for p in planned:
        key = (p.target.section, p.target.subsection)
        per_subsection[key] = per_subsection.get(key, 0) + 1
    assert sorted(per_subsection.values()) == [5, 5, 5, 5]
    assert len({p.key for p in planned}) == 20
    assert [p.token for p in planned[:4]] == ["t0", "t1", "t2", "t0"]
    assert {p.quantity for p in planned} == {1} and {p.at for p in planned} == {0.0}


def test_without_idempotency_keys_no_key_is_planned():
    planned = stampede_bookings(3, ["t"], pool(), random.Random(1), keys=False)
    assert [p.key for p in planned] == [None, None, None]
    request = plan("stampede", "http://127.0.0.1:1", planned, timeout_s=1,
                   retry=RetryPolicy())["requests"][0]
    assert "Idempotency-Key" not in request["headers"]


def test_ramp_bookings_follow_the_arrival_times_with_quantities_in_range():
    planned = ramp_bookings([0.0, 0.5, 1.25], ["t"], pool(1, 4), random.Random(3))
    assert [p.at for p in planned] == [0.0, 0.5, 1.25]
    assert all(1 <= p.quantity <= 4 for p in planned)


def test_the_plan_carries_the_same_request_as_the_python_modes():
    planned = [Planned("tok", pool().next(), 2, "k1", 0.25)]
    doc = plan("ramp", "http://127.0.0.1:38000/", planned, timeout_s=30,
               retry=RetryPolicy(attempts=3), connect_first=False, vus=5)
    assert doc["address"] == "127.0.0.1:38000" and doc["host"] == "127.0.0.1:38000"
    assert doc["attempts"] == 3 and doc["vus"] == 5 and doc["connect_first"] is False
    assert doc["retry_base_s"] == 0.25 and doc["retry_max_s"] == 4.0
    (request,) = doc["requests"]
    assert request["method"] == "POST" and request["path"] == "/api/booking"
    assert request["at"] == 0.25
    assert request["headers"] == {"Authorization": "Bearer tok", "Idempotency-Key": "k1",
                                  "Content-Type": "application/json"}
    body = json.loads(request["body"])
    target = planned[0].target
    assert body == {"event_id": 7, "section": target.section, "subsection": target.subsection,
                    "quantity": 2, "seat_selection_mode": "best_available",
                    "seat_positions": []}
    json.dumps(doc)  # the whole plan is plain JSON


def test_the_plan_refuses_a_host_off_this_machine():
    with pytest.raises(NotLoopback):
        plan("stampede", "http://10.1.2.3:80", [], timeout_s=1, retry=RetryPolicy())


def line(i, status, **fields):
    return json.dumps({"i": i, "start_us": 0, "connect_us": 1500, "latency_us": 20_000,
                       "status": status, "attempts": 1} | fields)


SUMMARY = json.dumps({"summary": {
    "origin_unix_ns": 1_700_000_000_500_000_000, "cpu_seconds": 0.8, "fire_cpu_seconds": 0.5,
    "fire_seconds": 2.0, "connect_seconds": 0.4, "connected_first": 3, "connect_failed": 1,
    "dropped": 1, "fd_limit": 65536}})


def test_results_fold_into_samples_counts_and_facts():
    p = pool()
    planned = stampede_bookings(5, ["t"], p, random.Random(1))
    lines = [
        line(0, 202, id="101", start_us=1000, latency_us=30_000, attempts=2),
        line(1, 400, detail=SOLD_OUT),
        line(2, 0, error="read: connection reset by peer", attempts=3),
        json.dumps({"i": 3, "dropped": True, "start_us": 5, "attempts": 0}),
        line(4, 503, detail="Service unavailable"),
        SUMMARY,
    ]
    rec, facts = fold(lines, planned, p)
    assert (rec.accepted, rec.rejected, rec.errors, rec.dropped) == (1, 1, 2, 1)
    assert rec.accepted_ids() == ["101"]
    first = rec.samples[0]
    assert (first.sent, first.latency, first.status, first.quantity) == (0.001, 0.03, ACCEPTED, 1)
    assert rec.origin_wall == pytest.approx(1_700_000_000.5)
    assert facts["bookings_retried"] == 3
    assert facts["transport_errors_by_kind"] == {"read": 1}
    assert facts["connect_p50_ms"] == 1.5 and facts["connected_first"] == 3
    assert facts["loader_cores"] == 0.25 and facts["loader_fire_cpu_seconds"] == 0.5
    assert facts["connect_failed_first"] == 1
    # the refused subsection (1 seat asked, fewer left) is closed, as `fire` does
    assert p.open_count == 3 and planned[1].target not in p._open


def test_folding_without_a_summary_fails():
    with pytest.raises(FirehoseError):
        fold([line(0, 202, id="1")], stampede_bookings(1, ["t"], pool(), random.Random(1)),
             pool())


def test_listen_counters_are_read_from_proc_net_netstat_and_differenced():
    text = ("TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 12 15\n"
            "IpExt: InNoRoutes\nIpExt: 3\n")
    before = _netstat_file(text)
    assert before == {"TcpExtSyncookiesSent": 0, "TcpExtListenOverflows": 12,
                      "TcpExtListenDrops": 15}
    after = {"TcpExtListenOverflows": 20, "TcpExtListenDrops": 25}
    assert listen_delta(before, after) == {"listen_overflows": 8, "listen_drops": 10}
    assert listen_delta({}, after) == {"listen_overflows": None, "listen_drops": None}


def test_the_stampede_must_sell_out_only_with_a_buyer_for_every_single_seat():
    args = parser().parse_args(["stampede", "--buyers", "100"])
    assert must_sell_out(args, 100) and not must_sell_out(args, 101)
    assert not must_sell_out(parser().parse_args(["stampede", "--quantity", "1-4"]), 100)
    assert not must_sell_out(parser().parse_args(["ramp", "--quantity", "1"]), 1)


def test_the_binary_name_follows_the_go_sources(tmp_path):
    (tmp_path / "go.mod").write_text("module firehose\n")
    (tmp_path / "main.go").write_text("package main\n")
    before = source_digest(tmp_path)
    (tmp_path / "main.go").write_text("package main // changed\n")
    assert source_digest(tmp_path) != before and len(before) == 12
