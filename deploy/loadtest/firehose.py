"""The Python side of the Go firing client (`deploy/loadtest/firehose/`) of the `stampede` and
`ramp` modes: build the binary, write its plan, run it, fold its results into a `Recorder`
(spec/performance.md, "How to run").

A fresh TCP connection per booking at 10,000 connections within a second is more than one
Python event loop can open, write and read on a core it shares with the server, so the client
part is a small Go program (standard library only) and everything else stays here: the
accounts, tokens, event, Idempotency-Keys and bodies are made exactly as the other modes make
them, and the checks and report are the same.

The plan (JSON): `mode`, `address` (host:port, loopback only), `host`, `timeout_s`,
`attempts` (1 + retries), `retry_base_s`/`retry_max_s`/`retry_budget_s` (`retry.RetryPolicy`),
`connect_first`, `vus`, and `requests`: `{"at": s, "method", "path", "headers": {…},
"body"}`. The output: one JSON line per request, `{"i", "start_us", "connect_us",
"latency_us", "status", "id", "detail", "error", "attempts", "dropped", "early_connect"}`,
then `{"summary": {"origin_unix_ns", "cpu_seconds", "fire_cpu_seconds", "fire_seconds",
"connect_seconds", "connected_first", "connect_failed", "dropped", "fd_limit", …}}`.
`latency_us` runs from the moment the request was due (the release, or its planned arrival)
to the last byte of the last attempt's answer, so it includes a connect made after that
moment and every retry, as the other modes time a booking with its retries.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from deploy.loadtest.api import booking_body, check_loopback
from deploy.loadtest.fire import NOT_STARTED, OFF_SALE
from deploy.loadtest.recorder import TRANSPORT_ERROR, Recorder, Sample
from deploy.loadtest.report import percentile
from deploy.loadtest.retry import RetryPolicy, new_key
from deploy.loadtest.targets import SOLD_OUT, Pool, Target

SOURCE = Path(__file__).resolve().parent / "firehose"
CACHE = Path(__file__).resolve().parents[2] / ".cache" / "firehose"
GO_FALLBACK = Path("/usr/local/go/bin/go")


class FirehoseError(RuntimeError):
    """The Go client cannot be built or did not run to its end."""


@dataclass(frozen=True)
class Planned:
    """One booking of a plan: whose token, which subsection, how many seats, its
    Idempotency-Key (None: sent without one) and its start offset in seconds (ramp)."""

    token: str
    target: Target
    quantity: int
    key: str | None
    at: float = 0.0


def find_go() -> str | None:
    """The `go` command: on PATH, else /usr/local/go/bin/go, else None."""
    found = shutil.which("go")
    if found:
        return found
    return str(GO_FALLBACK) if GO_FALLBACK.exists() else None


def source_digest(source: Path = SOURCE) -> str:
    """12 hex digits over the Go sources and go.mod: the binary's name changes with them, so a
    stale binary is never run (worktrees sharing one `.cache` each get their own)."""
    digest = hashlib.sha256()
    for path in sorted(source.glob("*.go")) + [source / "go.mod"]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def ensure_binary(cache: Path = CACHE, source: Path = SOURCE) -> Path:
    """The built client `<cache>/firehose-<digest>`, built with `go build` when missing; raises
    `FirehoseError` when `go` is missing or the build fails. Never fetches anything
    (GOPROXY=off, GOTOOLCHAIN=local: the module has no dependencies)."""
    binary = cache / f"firehose-{source_digest(source)}"
    if binary.exists():
        return binary
    go = find_go()
    if go is None:
        raise FirehoseError("`go` not found on PATH or in /usr/local/go/bin: the stampede and "
                            "ramp modes need it to build deploy/loadtest/firehose/")
    cache.mkdir(parents=True, exist_ok=True)
    env = os.environ | {"GOPROXY": "off", "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}
    env.setdefault("GOCACHE", str(cache / "go-build"))
    partial = cache / f".{binary.name}.{os.getpid()}"
    done = subprocess.run([go, "build", "-trimpath", "-o", str(partial), "."], cwd=source,
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise FirehoseError(f"go build failed in {source}:\n{done.stderr.strip()}")
    partial.replace(binary)
    return binary


def booking_request(item: Planned) -> dict:
    """The plan entry of one booking: the same body and headers as `Api.book_once`."""
    headers = {"Authorization": f"Bearer {item.token}", "Content-Type": "application/json"}
    if item.key is not None:
        headers["Idempotency-Key"] = item.key
    target = item.target
    body = booking_body(target.event_id, target.section, target.subsection, item.quantity)
    return {"at": round(item.at, 6), "method": "POST", "path": "/api/booking",
            "headers": headers, "body": body.decode()}


def stampede_bookings(buyers: int, tokens: Sequence[str], pool: Pool, rng: random.Random,
                      keys: bool = True) -> list[Planned]:
    """`buyers` bookings, all due at once: buyer i takes token i mod len(tokens) and the open
    subsections in turn (so 10,000 buyers over 100 subsections are 100 per subsection), a
    quantity in the pool's range, a fresh Idempotency-Key each (none when `keys` is False)."""
    planned = []
    for i in range(buyers):
        target = pool.next()
        if target is None:
            break
        planned.append(Planned(tokens[i % len(tokens)], target, pool.quantity(target, rng),
                               new_key() if keys else None))
    return planned


def ramp_bookings(times: Sequence[float], tokens: Sequence[str], pool: Pool,
                  rng: random.Random, keys: bool = True) -> list[Planned]:
    """One booking per arrival time (seconds): a random open subsection, a quantity in the
    pool's range, tokens in turn, a fresh Idempotency-Key each (none when `keys` is False)."""
    planned = []
    for i, at in enumerate(times):
        target = pool.pick(rng)
        if target is None:
            break
        planned.append(Planned(tokens[i % len(tokens)], target, pool.quantity(target, rng),
                               new_key() if keys else None, at))
    return planned


def plan(mode: str, base_url: str, planned: Sequence[Planned], *, timeout_s: float,
         retry: RetryPolicy, connect_first: bool = True, vus: int = 2000) -> dict:
    """The JSON plan of a run (see the module docstring); raises `NotLoopback` for a base URL
    that is not on this machine."""
    parts = urlsplit(check_loopback(base_url))
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return {
        "mode": mode, "address": address, "host": parts.netloc, "timeout_s": timeout_s,
        "attempts": retry.attempts, "retry_base_s": retry.base_s, "retry_max_s": retry.max_s,
        "retry_budget_s": retry.budget_s, "connect_first": connect_first, "vus": vus,
        "requests": [booking_request(p) for p in planned],
    }


async def run(binary: Path, the_plan: dict, deadline_s: float) -> list[str]:
    """Run the client on `the_plan` (written to a temporary file); its output lines. Raises
    `FirehoseError` if it fails or outlives `deadline_s` (then it is killed)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="firehose-plan-") as f:
        json.dump(the_plan, f, separators=(",", ":"))
        f.flush()
        proc = await asyncio.create_subprocess_exec(
            str(binary), "-plan", f.name, stdout=asyncio.subprocess.PIPE)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), deadline_s)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise FirehoseError(f"the firehose ran longer than {deadline_s:.0f}s") from None
    if proc.returncode != 0:
        raise FirehoseError(f"the firehose exited with status {proc.returncode}")
    return out.decode().splitlines()


def _ms(values: list[float], q: float) -> float | None:
    p = percentile(values, q)
    return None if p is None else round(p, 2)


def fold(lines: Iterable[str], planned: Sequence[Planned], pool: Pool) -> tuple[Recorder, dict]:
    """The client's output as the other modes record it: a `Recorder` (one `Sample` per
    request sent, in seconds after the origin; dropped arrivals counted; `origin_wall` the
    client's origin) with the pool narrowed by the fail-fast refusals as `fire` does, and the
    report's client facts (`connect_*_ms`, `bookings_retried`, `transport_errors_by_kind`,
    `loader_*`). Raises `FirehoseError` if the summary line is missing."""
    rec, summary = Recorder(), None
    connects: list[float] = []
    retried, kinds = 0, Counter[str]()
    for line in lines:
        doc = json.loads(line)
        if "summary" in doc:
            summary = doc["summary"]
            continue
        if doc.get("dropped"):
            rec.dropped += 1
            continue
        item = planned[doc["i"]]
        status, detail = doc["status"], doc.get("detail") or ""
        rec.add(Sample(doc["start_us"] / 1e6, doc["latency_us"] / 1e6, status, item.quantity,
                       doc.get("id") or None))
        connects.append(doc["connect_us"] / 1000)
        retried += max(0, doc.get("attempts", 1) - 1)
        if status == TRANSPORT_ERROR:
            kinds[(doc.get("error") or "unknown").split(":")[0]] += 1
        elif status == 400 and detail == SOLD_OUT:
            pool.refused(item.target, item.quantity)
        elif status == 400 and detail == OFF_SALE:
            pool.close_all()
        elif status == 400 and detail.startswith(NOT_STARTED):
            rec.early += 1
    if summary is None:
        raise FirehoseError("the firehose wrote no summary line")
    rec.origin_wall = summary["origin_unix_ns"] / 1e9
    fire_s = summary.get("fire_seconds") or 0.0
    facts = {
        "bookings_retried": retried,
        "transport_errors_by_kind": dict(kinds),
        "connect_p50_ms": _ms(connects, 50), "connect_p99_ms": _ms(connects, 99),
        "connect_max_ms": round(max(connects), 2) if connects else None,
        "connected_first": summary.get("connected_first", 0),
        "connect_failed_first": summary.get("connect_failed", 0),
        "connect_phase_seconds": round(summary.get("connect_seconds", 0.0), 3),
        "loader_fire_seconds": round(fire_s, 3),
        "loader_cpu_seconds": round(summary["cpu_seconds"], 3),
        "loader_fire_cpu_seconds": round(summary["fire_cpu_seconds"], 3),
        "loader_cores": round(summary["fire_cpu_seconds"] / fire_s, 3) if fire_s else None,
        "loader_fd_limit": summary.get("fd_limit"),
        "loader_max_busy_vus": summary.get("max_busy_vus"),
    }
    return rec, facts


LISTEN_COUNTERS = ("TcpExtListenOverflows", "TcpExtListenDrops")


def _netstat_file(text: str) -> dict[str, int]:
    """`TcpExt*` counters of /proc/net/netstat (a names line, then a values line)."""
    found: dict[str, int] = {}
    lines = text.splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        prefix, _, rest = names.partition(":")
        if prefix != "TcpExt":
            continue
        for name, value in zip(rest.split(), values.partition(":")[2].split(), strict=False):
            found["TcpExt" + name] = int(value)
    return found


def listen_counters() -> dict[str, int]:
    """The kernel's listen-queue counters now (`nstat -asz`, without touching nstat's history,
    or /proc/net/netstat when nstat is missing); {} when neither can be read. They count the
    whole network namespace: other load on the machine counts too."""
    if shutil.which("nstat"):
        done = subprocess.run(["nstat", "-asz", *LISTEN_COUNTERS], capture_output=True,
                              text=True, check=False)
        counts = {}
        for line in done.stdout.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] in LISTEN_COUNTERS:
                counts[parts[0]] = int(parts[1])
        if len(counts) == len(LISTEN_COUNTERS):
            return counts
    try:
        found = _netstat_file(Path("/proc/net/netstat").read_text())
    except OSError:
        return {}
    return {k: found[k] for k in LISTEN_COUNTERS if k in found}


def listen_delta(before: dict[str, int], after: dict[str, int]) -> dict:
    """The report's `listen_overflows` and `listen_drops` over the run (None if unread)."""
    def diff(name: str) -> int | None:
        return after[name] - before[name] if name in before and name in after else None

    return {"listen_overflows": diff("TcpExtListenOverflows"),
            "listen_drops": diff("TcpExtListenDrops")}
