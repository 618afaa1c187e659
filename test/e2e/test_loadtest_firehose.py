"""The Go client of the stampede and ramp modes (deploy/loadtest/firehose/) against a stub HTTP
server on loopback: every planned booking arrives once per attempt on a connection of its own
with its headers and body, a 503 is retried with the same Idempotency-Key, the results fold
into the recorder, and a ramp drops arrivals when every virtual user is busy."""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from deploy.loadtest import firehose
from deploy.loadtest.retry import RetryPolicy
from deploy.loadtest.targets import Pool, layout, targets_of

BUYERS = 50
FLAKY = 5  # the first attempt of the first FLAKY keys is answered 503


class Stub(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, delay_s: float = 0.0):
        super().__init__(("127.0.0.1", 0), Handler)
        self.delay_s = delay_s
        self.lock = threading.Lock()
        self.seen: list[dict] = []
        self.keys: Counter[str] = Counter()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        stub: Stub = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers["Content-Length"]))
        key = self.headers.get("Idempotency-Key", "")
        with stub.lock:
            stub.keys[key] += 1
            first_of_flaky = stub.keys[key] == 1 and len(stub.keys) <= FLAKY
            stub.seen.append({"path": self.path, "key": key, "body": json.loads(body),
                              "auth": self.headers.get("Authorization"),
                              "connection": self.headers.get("Connection")})
            number = len(stub.seen)
        time.sleep(stub.delay_s)
        if first_of_flaky:
            self._answer(503, {"detail": "Service unavailable"}, b"Retry-After: 0\r\n")
        else:
            self._answer(202, {"id": number, "status": "processing"})

    def _answer(self, status: int, doc: dict, extra: bytes = b"") -> None:
        payload = json.dumps(doc).encode()
        self.wfile.write(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\n%s"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                         % (status, extra, len(payload), payload))
        self.close_connection = True


@pytest.fixture(scope="module")
def binary():
    if firehose.find_go() is None:
        pytest.skip("`go` is not installed (PATH, /usr/local/go/bin): the Go client cannot be "
                    "built")
    return firehose.ensure_binary()


def serve(delay_s: float = 0.0) -> Stub:
    stub = Stub(delay_s)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    return stub


def small_pool() -> Pool:
    return Pool(targets_of([3], layout(1, 5, 2, 5)), 1, 1)  # 5 subsections of 10 seats


def test_a_stampede_connects_first_then_sends_every_booking_once(binary):
    stub = serve()
    try:
        pool = small_pool()
        planned = firehose.stampede_bookings(BUYERS, ["tok-a", "tok-b"], pool,
                                             random.Random(1))
        doc = firehose.plan("stampede", stub.url, planned, timeout_s=10,
                            retry=RetryPolicy(attempts=3, base_s=0.01))
        lines = asyncio.run(firehose.run(binary, doc, deadline_s=60))
    finally:
        stub.shutdown()
    rec, facts = firehose.fold(lines, planned, pool)
    assert rec.accepted == BUYERS and rec.errors == 0 and rec.dropped == 0
    assert facts["connected_first"] == BUYERS and facts["bookings_retried"] == FLAKY
    assert len(set(rec.accepted_ids())) == BUYERS
    # every booking's key arrived once, the 503'd ones twice; nothing else arrived
    assert len(stub.keys) == BUYERS and sorted(stub.keys.values()) == [1] * 45 + [2] * FLAKY
    assert {p.key for p in planned} == set(stub.keys)
    assert {s["connection"] for s in stub.seen} == {"close"}
    assert {s["auth"] for s in stub.seen} == {"Bearer tok-a", "Bearer tok-b"}
    sent = {s["key"]: s["body"] for s in stub.seen}
    for p in planned:
        assert sent[p.key]["subsection"] == p.target.subsection
        assert sent[p.key]["quantity"] == 1 and sent[p.key]["event_id"] == 3
    assert facts["loader_fire_cpu_seconds"] >= 0 and facts["loader_fire_seconds"] > 0


def test_a_ramp_drops_arrivals_while_its_only_virtual_user_is_busy(binary):
    stub = serve(delay_s=0.2)
    try:
        pool = small_pool()
        times = [i * 0.01 for i in range(BUYERS)]  # 100/s for 0.5 s
        planned = firehose.ramp_bookings(times, ["tok"], pool, random.Random(2))
        doc = firehose.plan("ramp", stub.url, planned, timeout_s=10, retry=RetryPolicy(),
                            connect_first=False, vus=1)
        lines = asyncio.run(firehose.run(binary, doc, deadline_s=60))
    finally:
        stub.shutdown()
    rec, facts = firehose.fold(lines, planned, pool)
    assert len(rec.samples) + rec.dropped == BUYERS
    assert 1 <= len(rec.samples) <= 5 and rec.dropped >= BUYERS - 5
    assert len(stub.seen) == len(rec.samples)
    assert facts["loader_max_busy_vus"] == 1
