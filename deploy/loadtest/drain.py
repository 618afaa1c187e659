"""Drain mode: pause the reservation consumers, build a backlog of bookings through the real
accept path (POST /api/booking), resume the consumers and time how fast they work it off.

The throughput figure comes from PostgreSQL (first → last `updated_at` of the backlog), so
the consumer-group re-join after the resume is reported apart and does not dilute it.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from deploy.loadtest import output
from deploy.loadtest.api import Api
from deploy.loadtest.consumers import NotConsumers, check_consumers, parse_pids, paused, resume
from deploy.loadtest.drain_report import DRAIN_KEYS, drain_layout, drain_report
from deploy.loadtest.fixtures import Stage, prepare, rules
from deploy.loadtest.lag import wait_lag
from deploy.loadtest.progress import note
from deploy.loadtest.recorder import Recorder
from deploy.loadtest.report import format_table
from deploy.loadtest.sabotage import sabotage
from deploy.loadtest.session import SetupError, stores, wait_healthy
from deploy.loadtest.settle import settled_facts, wait_settled
from deploy.loadtest.spike import SpikeLimits, sellout
from deploy.loadtest.targets import Pool, layout, seats_of, subsections_of, targets_of
from deploy.loadtest.verify import ticket_facts, verify_events

LAG_WAIT_S = 10.0  # a 202 means the broker acked: the commands are there at once


@dataclass(frozen=True)
class Backlog:
    """The build phase as the client saw it, and when the consumers were paused and resumed."""

    rec: Recorder
    build_seconds: float
    lag_at_resume: int
    paused_seconds: float
    resumed_wall: float


def consumer_pids(args) -> list[int]:
    """The consumers to pause, checked; the run refuses to start without them."""
    if not args.kafka_url:
        raise SetupError("KAFKA_BOOTSTRAP_SERVERS is needed (source .local/bench/env)")
    try:
        return check_consumers(parse_pids(args.pids))
    except NotConsumers as e:
        raise SetupError(str(e)) from e


def seating(args) -> dict:
    """The fresh event: `--sections` if given, else enough seats for the whole backlog."""
    if args.sections:
        return layout(args.sections, args.subsections, args.rows, args.cols)
    return drain_layout(args.bookings, args.quantity[1], args.subsections, args.rows, args.cols)


async def build_backlog(args, api: Api, stage: Stage, pids: list[int]) -> Backlog:
    """With the consumers stopped, book `--bookings` times as fast as the API answers, check
    that the commands wait in Kafka, then resume the consumers (always, even on error)."""
    pool = Pool(targets_of(stage.event_ids, stage.config), *args.quantity)
    limits = SpikeLimits(args.concurrency, args.max_seconds, args.bookings)
    with paused(pids) as paused_wall:
        before = await wait_lag(args.kafka_url, 0, LAG_WAIT_S)
        note(f"[drain] {len(pids)} consumer(s) paused (SIGSTOP); {before} commands waiting")
        rec = await sellout(api, stage, pool, limits, random.Random(args.seed), label="backlog")
        build_seconds = rec.now()
        lag = await wait_lag(args.kafka_url, before + rec.accepted, LAG_WAIT_S) - before
        note(f"[drain] {rec.accepted} accepted, {lag} commands in Kafka; resuming (SIGCONT)")
        resumed_wall = resume(pids)
    return Backlog(rec, build_seconds, lag, resumed_wall - paused_wall, resumed_wall)


def run_facts(args, stage: Stage, stamp: str, backlog: Backlog, pids: list[int]) -> dict:
    """Parameters and client-side facts of the run, first in the report."""
    return {
        "mode": "drain", "started_at": stamp, "base_url": args.base_url,
        "event_id": stage.event_id, "seats": seats_of(stage.config),
        "subsections": len(subsections_of(stage.config)), "buyers": args.buyers,
        "quantity": "-".join(map(str, args.quantity)), "sabotage": args.sabotage,
        "concurrency": args.concurrency, "bookings_requested": args.bookings,
        "consumers_paused": len(pids), "paused_seconds": round(backlog.paused_seconds, 3),
        "build_seconds": round(backlog.build_seconds, 3),
        "kafka_lag_at_resume": backlog.lag_at_resume,
    }


async def checks_after(args, conn: asyncpg.Connection, redis, stage: Stage, ids: list[str]):
    """The standard checks (after the optional sabotage) and the ticket facts."""
    if args.sabotage:
        note(await sabotage(args.sabotage, conn, redis, stage.event_id, stage.config["cols"]))
    checks = await verify_events(conn, redis, stage.event_ids, ids, False)
    return checks, await ticket_facts(conn, stage.event_id)


async def drain(args) -> int:
    """A drain run, from fresh event to report; returns the exit status."""
    pids = consumer_pids(args)
    load_at_start = os.getloadavg()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    config = seating(args)
    async with stores(args) as (conn, redis):
        api = Api(args.base_url, args.concurrency, args.timeout)
        try:
            await wait_healthy(api)
            note(f"[setup] event of {seats_of(config)} seats, {args.buyers} buyers logging in…")
            stage = await prepare(api, stamp, config, args.buyers, rules=rules(args))
            backlog = await build_backlog(args, api, stage, pids)
        finally:
            await api.close()
        rec = backlog.rec
        await wait_settled(conn, stage.event_ids, rec.accepted, args.settle_timeout)
        settled = await settled_facts(conn, stage.event_id, backlog.resumed_wall)
        checks, facts = await checks_after(args, conn, redis, stage, rec.accepted_ids())
    run = run_facts(args, stage, stamp, backlog, pids) | facts
    report = drain_report(run, rec.samples, settled.status_counts, settled.settled_at, checks,
                          output.machine(load_at_start))
    json_path, png = output.write(report, rec.samples, [], Path(args.reports), stamp)
    print(format_table(report, DRAIN_KEYS))
    note(f"report: {json_path}" + (f"   plot: {png}" if png else ""))
    return 0 if report["checks_passed"] else 1
