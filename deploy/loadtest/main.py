"""Entry point: set up a run, drive the load, wait for settling, verify, report.

Exit status 0 only if every check holds; 1 if one fails; 2 on a set-up problem.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import sys
import time
from pathlib import Path

from aiokafka.errors import KafkaError

from deploy.loadtest import output
from deploy.loadtest.api import Api, ApiError, NotLoopback
from deploy.loadtest.cli import parser
from deploy.loadtest.crowd import Crowd, http_opener, open_crowd, streams_wanted
from deploy.loadtest.drain import drain
from deploy.loadtest.firehose import FirehoseError, ensure_binary
from deploy.loadtest.fixtures import Stage, prepare, rules
from deploy.loadtest.progress import note
from deploy.loadtest.recorder import Recorder
from deploy.loadtest.report import Settled, add_up, build_report, format_table, merge_settled
from deploy.loadtest.retry import NO_RETRIES, RetryPolicy
from deploy.loadtest.sabotage import KINDS, sabotage
from deploy.loadtest.session import SetupError, stores, wait_healthy
from deploy.loadtest.settle import settled_facts, wait_settled
from deploy.loadtest.spike import SpikeLimits, sellout
from deploy.loadtest.stampede import MODES as FIREHOSE_MODES
from deploy.loadtest.stampede import accounts, ramp_seating
from deploy.loadtest.stampede import fire as fire_firehose
from deploy.loadtest.sustained import (
    SUBSECTIONS_PER_SECTION,
    Arrivals,
    events_needed,
    sections_needed,
    sustained,
)
from deploy.loadtest.targets import Pool, layout, seats_of, subsections_of, targets_of
from deploy.loadtest.verify import ticket_facts, verify_events
from src.platform.runtime import raise_open_file_limit


def seating(args) -> tuple[dict, int]:
    """The layout of each fresh event for this mode, and how many such events: one, except a
    sustained or ramp run whose demand exceeds one event's 200,000 seats."""
    if args.mode in ("sellout", "stampede"):
        return layout(args.sections, args.subsections, args.rows, args.cols), 1
    if args.mode == "ramp":
        return ramp_seating(args)
    mean = sum(args.quantity) / 2
    sections = args.sections or sections_needed(args.rate, args.duration, mean)
    events, per_event = events_needed(sections, SUBSECTIONS_PER_SECTION * args.rows * args.cols)
    return layout(per_event, SUBSECTIONS_PER_SECTION, args.rows, args.cols), events


async def drive(args, api: Api, stage, pool: Pool, rng: random.Random,
                firing: Path | None) -> tuple[Recorder, dict]:
    """Run the chosen load shape; what the client saw and the mode's extra report facts
    (`firing`: the Go client of the stampede and ramp modes)."""
    if firing is not None:
        return await fire_firehose(args, stage, pool, rng, firing)
    if args.mode == "sellout":
        seats = seats_of(stage.config)
        limits = SpikeLimits(args.concurrency, args.max_seconds, args.max_requests or 20 * seats)
        return await sellout(api, stage, pool, limits, rng), {}
    arrivals = Arrivals(args.rate, args.duration, args.max_inflight, drain_s=args.timeout)
    return await sustained(api, stage, pool, arrivals, rng), {}


def api_connections(args) -> int:
    """Connections of the tool's own HTTP pool: the load's in the Python modes, a few for the
    set-up of the stampede and ramp modes (their load goes through the Go client)."""
    if args.mode == "sellout":
        return args.concurrency
    return args.max_inflight if args.mode == "sustained" else 64


async def load(args) -> int:
    """A sellout, sustained, stampede or ramp run, from fresh event to report; returns the exit
    status."""
    load_at_start = os.getloadavg()
    rng = random.Random(args.seed)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    firing = ensure_binary() if args.mode in FIREHOSE_MODES else None  # before the set-up
    config, events = seating(args)
    connections = api_connections(args)
    keys = args.idempotency_keys
    retry = RetryPolicy(attempts=1 + args.retries) if keys else NO_RETRIES
    open_files(connections + streams_wanted(args))
    api = Api(args.base_url, connections, args.timeout, retry, keys=keys)
    crowd = Crowd(http_opener(args.base_url, args.timeout))
    try:
        await wait_healthy(api)
        note(f"[setup] {events} event(s) of {seats_of(config)} seats, "
             f"{accounts(args)} buyers logging in…")
        stage = await prepare(api, stamp, config, accounts(args), events, rules(args),
                              getattr(args, "on_sale_in", None))
        if stage.opens_at is not None:
            note(f"[setup] buyers ready {stage.opens_at - time.time():.1f}s before sales open")
        pool = Pool(targets_of(stage.event_ids, config), *args.quantity)
        await open_crowd(args, crowd, stage)
        with collector_paused():
            rec, extra = await drive(args, api, stage, pool, rng, firing)
    finally:
        streams = await crowd.finish()
        await api.close()
    checks, facts, settled = await examine(args, stage, rec)
    run = (run_facts(args, stage, stamp, rec, pool) | facts | {"bookings_retried": api.retried}
           | (streams if streams_wanted(args) else {}) | extra)
    report = build_report(run, rec.samples, settled, checks, output.machine(load_at_start))
    json_path, png = output.write(report, rec.samples, settled.settle_ms, Path(args.reports), stamp)
    print(format_table(report))
    note(f"report: {json_path}" + (f"   plot: {png}" if png else ""))
    return 0 if report["checks_passed"] else 1


def open_files(connections: int) -> None:
    """Raise the tool's soft open-file limit for `connections` sockets and some to spare, as
    far as the hard limit allows; say so when that is too little."""
    wanted = connections + 256
    got = raise_open_file_limit(wanted)
    if got < wanted:
        note(f"[setup] open-file limit {got} < {wanted}: some connections will fail "
             "(raise it with ulimit -Hn)")


@contextlib.contextmanager
def collector_paused():
    """No cyclic garbage collection while load is applied (as `timeit` does): a full
    collection over a growing list of samples stops the client's event loop for up to 160 ms,
    and every request in flight would be timed as slow. Memory is collected afterwards."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


async def examine(args, stage: Stage, rec: Recorder) -> tuple[dict, dict, Settled]:
    """Wait for settling, then the checks, ticket facts and settle facts over every event of
    the run (counts summed, settle timings pooled)."""
    ids = stage.event_ids
    async with stores(args) as (conn, redis):
        await wait_settled(conn, ids, rec.accepted, args.settle_timeout)
        if args.sabotage:
            note(await sabotage(args.sabotage, conn, redis, stage.event_id, stage.config["cols"]))
        sold_out = must_sell_out(args, seats_of(stage.config) * len(ids))
        checks = await verify_events(conn, redis, ids, rec.accepted_ids(), sold_out)
        facts = add_up([await ticket_facts(conn, e) for e in ids])
        settled = merge_settled([await settled_facts(conn, e, rec.origin_wall) for e in ids])
    return checks, facts, settled


def must_sell_out(args, seats: int) -> bool:
    """Whether the checks require every seat held: a sellout of single seats (it books until
    refused everywhere), or a stampede of one seat each with a buyer for every seat (one
    request per buyer: with 1–4 seats a subsection may keep seats nobody asked for)."""
    if args.mode == "sellout":
        return args.quantity[0] == 1
    return args.mode == "stampede" and args.quantity == (1, 1) and args.buyers >= seats


def run_facts(args, stage: Stage, stamp: str, rec: Recorder, pool: Pool) -> dict:
    """Parameters and client-side facts of the run, first in the report."""
    events = len(stage.event_ids)
    facts = {
        "mode": args.mode, "started_at": stamp, "base_url": args.base_url,
        "event_id": stage.event_id, "event_ids": stage.event_ids,
        "seats": seats_of(stage.config) * events,
        "subsections": len(subsections_of(stage.config)) * events, "buyers": args.buyers,
        "quantity": "-".join(map(str, args.quantity)), "sabotage": args.sabotage,
        "bookings_dropped": rec.dropped, "sold_out": sold_out(stage, rec, pool),
        "max_tickets_per_buyer": args.max_tickets_per_buyer, "hold_seconds": args.hold_seconds,
        "sales_window": args.sales_window,
    }
    if args.mode == "sellout":
        facts |= {"concurrency": args.concurrency, "on_sale_in_s": args.on_sale_in,
                  "bookings_early": rec.early}
    elif args.mode == "sustained":
        facts |= {"target_rate": args.rate, "duration_s": args.duration}
    return facts


def sold_out(stage: Stage, rec: Recorder, pool: Pool) -> bool:
    """Every subsection refused, or (a stampede with a buyer per seat) every seat accepted."""
    seats = seats_of(stage.config) * len(stage.event_ids)
    accepted = sum(s.quantity for s in rec.samples if s.status == 202)
    return pool.open_count == 0 or accepted >= seats


async def verify_only(args) -> int:
    """The checks alone, on an existing event (e.g. one of a system started with `make run`)."""
    ids = Path(args.accepted_ids).read_text().split() if args.accepted_ids else []
    async with stores(args) as (conn, redis):
        if args.sabotage:
            cols = (await conn.fetchval(
                "SELECT (seating_config ->> 'cols')::int FROM events WHERE id = $1",
                args.event_id))
            note(await sabotage(args.sabotage, conn, redis, args.event_id, cols))
        checks = await verify_events(conn, redis, [args.event_id], ids, args.sold_out)
        checks |= await ticket_facts(conn, args.event_id)
    print(format_table(checks, list(checks)))
    failed = [k for k, v in checks.items() if v and not k.startswith(("tickets_", "pending"))]
    note("checks: " + (f"FAILED {failed}" if failed else "all hold"))
    return 1 if failed else 0


def _run(coroutine) -> int:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


RUNS = {"verify": verify_only, "drain": drain}


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and run; exits with the run's status."""
    args = parser().parse_args(argv)
    if args.sabotage and args.sabotage not in KINDS:
        sys.exit(f"unknown sabotage {args.sabotage!r}: one of {', '.join(KINDS)}")
    try:
        sys.exit(_run(RUNS.get(args.mode, load)(args)))
    except (SetupError, ApiError, NotLoopback, OSError, KafkaError, FirehoseError) as e:
        print(f"loadtest: {e}", file=sys.stderr)
        sys.exit(2)
