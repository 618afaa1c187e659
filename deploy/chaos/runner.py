"""One scenario, from a fresh event to its figures: load, the fault at its moment, settling,
the optional sabotage, then every check (`judge.py`, `deploy/loadtest/verify.py`)."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass
from types import SimpleNamespace

import aiohttp
import asyncpg

from deploy.chaos import judge
from deploy.chaos.backing import ChaosError
from deploy.chaos.faults import Cluster, Timeline, run_fault
from deploy.chaos.load import CHAOS_RETRY, LoadResult, Shape, drive
from deploy.chaos.logscan import LogScan
from deploy.chaos.sabotage import apply as sabotage
from deploy.chaos.scenarios import Scenario, Timing
from deploy.loadtest.api import Api, ApiError
from deploy.loadtest.progress import note
from deploy.loadtest.session import stores
from deploy.loadtest.settle import wait_settled
from deploy.loadtest.sustained import sections_needed
from deploy.loadtest.targets import Pool, layout, seats_of, targets_of
from deploy.loadtest.verify import verify_events

FAULT_GRACE_S = 300.0  # a fault action still running after the load (a slow restart)

ROWS = """
SELECT id::text, status, section, subsection, quantity, cardinality(seat_positions) AS seats,
       failure_reason AS reason, extract(epoch FROM created_at)::float8 AS created,
       extract(epoch FROM updated_at)::float8 AS updated
FROM bookings WHERE event_id = $1
"""


@dataclass
class Context:
    """What every scenario of a suite run shares."""

    cluster: Cluster
    base_url: str
    timeout: float
    seller: str
    tokens: list[str]
    env: dict[str, str]
    timing: Timing
    rate: float
    sabotage: str | None
    rng: random.Random

    def client(self) -> Api:
        """A client of its own for one scenario (no keep-alive connection to an API process
        an earlier scenario killed)."""
        return Api(self.base_url, 2000, self.timeout)


async def fresh_event(ctx: Context, api: Api, sc: Scenario) -> tuple[int, dict]:
    """A fresh event sized for the scenario's demand (25 % headroom, 5,000 seats at least)."""
    sections = sections_needed(ctx.rate, sc.load_seconds(ctx.timing))
    config = layout(sections, 10, 25, 20)
    name = f"chaos {sc.name} {time.strftime('%H%M%S')}"
    for attempt in range(3):  # the API may have been restarted by the previous scenario
        try:
            event = await api.create_event(ctx.seller, name, config)
            return event["id"], config
        except (ApiError, aiohttp.ClientError) as e:
            if attempt == 2:
                raise ChaosError(f"could not create the event: {e}") from e
            await asyncio.sleep(2)
    raise AssertionError("unreachable")


async def run_scenario(ctx: Context, sc: Scenario) -> dict:
    """Run one scenario; returns its figures (violations included)."""
    await ctx.cluster.ensure(sc.consumers)
    api = ctx.client()
    try:
        event_id, config = await fresh_event(ctx, api, sc)
        note(f"[chaos] {sc.name}: event {event_id} of {seats_of(config)} seats, "
             f"{sc.load_seconds(ctx.timing):.0f}s at {ctx.rate:.0f}/s, fault at "
             f"{ctx.timing.fault_at:.0f}s: {sc.summary}")
        scan = LogScan(ctx.cluster.services.logs)
        tl = Timeline()
        pool = Pool(targets_of([event_id], config), 1, 4)
        fault = asyncio.create_task(
            run_fault(ctx.cluster, sc.fault, ctx.timing.fault_at, sc.hold_s, tl))
        shape = Shape(ctx.rate, sc.load_seconds(ctx.timing))
        result = await drive(api, ctx.tokens, pool, shape, CHAOS_RETRY, ctx.rng)
        await asyncio.wait_for(fault, FAULT_GRACE_S)
    finally:
        await api.close()
    figures = await settle_and_check(ctx, sc, event_id, config, result, tl)
    figures["log_errors"] = scan.errors()
    return figures


async def settle_and_check(ctx: Context, sc: Scenario, event_id: int, config: dict,
                           result: LoadResult, tl: Timeline) -> dict:
    """Wait for settling (bounded), sabotage if asked, then every check."""
    urls = SimpleNamespace(database_url=ctx.env["DATABASE_URL"],
                           kvrocks_url=ctx.env["KVROCKS_URL"])
    accepted = sum(1 for b in result.bookings if b.accepted)
    async with stores(urls) as (conn, redis):
        await wait_settled(conn, [event_id], accepted, sc.settle_timeout(ctx.timing))
        done = None
        if ctx.sabotage:
            done = await sabotage(ctx.sabotage, conn, redis, event_id, config["cols"], result)
            note(done)
        rows = await fetch_rows(conn, event_id)
        checks = await verify_events(conn, redis, [event_id], result.accepted_ids(), False)
    figures = examine(sc, event_id, config, rows, result, tl) | checks
    figures["sabotage_note"] = done
    figures["violations"] = judge.violations(figures)
    figures["passed"] = not figures["violations"]
    return figures


async def fetch_rows(conn: asyncpg.Connection, event_id: int) -> list[judge.Row]:
    """Every booking of the event."""
    return [judge.Row(**dict(r.items())) for r in await conn.fetch(ROWS, event_id)]


def examine(sc: Scenario, event_id: int, config: dict, rows: list[judge.Row],
            result: LoadResult, tl: Timeline) -> dict:
    """Every client-side and PostgreSQL-side figure of the scenario but the verify checks."""
    attempts = [a for b in result.bookings for a in b.attempts]
    statuses = Counter(r.status for r in rows)
    rejected = Counter(str((b.attempts[-1].body or {}).get("detail"))
                       for b in result.bookings if 400 <= b.final < 500)
    injected, lifted = tl.injected or tl.lifted or 0.0, tl.lifted or 0.0
    rec = judge.recovery(rows, injected, lifted, tl.restored)
    return {
        "name": sc.name, "summary": sc.summary, "consumers": sc.consumers,
        "event_id": event_id, "seats": seats_of(config),
        "bookings_sent": len(result.bookings), "bookings_requests": len(attempts),
        "bookings_accepted": sum(1 for b in result.bookings if b.accepted),
        "bookings_dropped": result.dropped, "rejected_by_detail": dict(rejected),
        "bookings_by_status": dict(statuses),
        "timeline": tl.as_dict(result.origin_wall),
        "bounds": {"first_s": sc.first_bound_s, "all_s": sc.all_bound_s},
        **judge.failure_verdicts(rows, config["rows"] * config["cols"],
                                 judge.settle_deadline_s()),
        **judge.response_checks(attempts),
        **judge.retry_checks(result.bookings, {r.id for r in rows}),
        **rec, **judge.bound_checks(rec, sc.first_bound_s, sc.all_bound_s),
        "fault_action_failed": int(bool(tl.error)),
    }
