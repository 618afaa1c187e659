"""The suite: fresh infrastructure (profile `chaos`), migrations, the API and the consumers as
children, buyers logged in once, then each scenario in turn, the report, and everything
stopped again, also on Ctrl-C, SIGTERM or an error.

Exit status: 0 if every scenario passes, 1 if one has a violation, 2 if the suite could not
run (set-up failed)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import asyncpg

from deploy.chaos import report
from deploy.chaos.backing import ROOT, Backing, ChaosError
from deploy.chaos.cli import parse
from deploy.chaos.faults import Cluster
from deploy.chaos.runner import Context, run_scenario
from deploy.chaos.scenarios import FULL, SCENARIOS, SHORT, Scenario, chosen
from deploy.chaos.services import Services
from deploy.loadtest import output
from deploy.loadtest.api import Api, ApiError
from deploy.loadtest.fixtures import PASSWORD, SETUP_PARALLEL
from deploy.loadtest.progress import note
from src.platform.db import asyncpg_dsn

PROCESSING = "SELECT count(*) FROM bookings WHERE status = 'processing'"
LOGS = ROOT / ".local" / "chaos-logs"  # not under .local/chaos/, which --fresh wipes
SCENARIO_GRACE_S = 600.0  # beyond its own bounds, before a scenario is aborted


def commit() -> str | None:
    """The commit under test (short hash, `+dirty` when the tree has changes)."""
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout
    head = git("rev-parse", "--short", "HEAD").strip()
    return head and head + ("+dirty" if git("status", "--porcelain", "--", "src").strip() else "")


async def migrate(env: dict[str, str]) -> None:
    """`alembic upgrade head` on the profile's database."""
    with (LOGS / "migrate.log").open("ab") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "alembic", "upgrade", "head", cwd=ROOT, env=env,
            stdout=out, stderr=out)
        if await proc.wait():
            raise ChaosError(f"alembic upgrade head failed; see {LOGS / 'migrate.log'}")


async def accounts(api: Api, stamp: str, buyers: int) -> tuple[str, list[str]]:
    """One seller and `buyers` buyers, each logged in once (tokens outlive API restarts)."""
    seller = await api.account(f"chaos-{stamp}-seller@load.test", PASSWORD, "seller")
    limit = asyncio.Semaphore(SETUP_PARALLEL)

    async def buyer(i: int) -> str:
        async with limit:
            return await api.account(f"chaos-{stamp}-b{i}@load.test", PASSWORD, "buyer")

    return seller, list(await asyncio.gather(*(buyer(i) for i in range(buyers))))


async def bring_up(cluster: Cluster, workers: int) -> dict[str, str]:
    """Fresh infrastructure, migrations, the API and one consumer; returns the env."""
    note("[chaos] fresh infrastructure (profile chaos)…")
    cluster.backing.down()
    busy = cluster.backing.busy_ports((cluster.services.port,))
    if busy:
        raise ChaosError(f"ports {busy} are in use (another chaos run?): set CHAOS_PG_PORT, "
                         "CHAOS_REDIS_PORT, CHAOS_KAFKA_PORT, CHAOS_KAFKA_CONTROLLER_PORT, "
                         "CHAOS_API_PORT to free ones")
    seconds = await cluster.backing.up(fresh=True)
    env = cluster.services.env
    env.update(cluster.backing.env())
    await migrate(env)
    api_s = await cluster.services.start_api()
    cluster.services.start_consumer()
    note(f"[chaos] infrastructure up in {seconds:.0f}s, API ({workers} workers) healthy in "
         f"{api_s:.0f}s; logs in {LOGS.relative_to(ROOT)}/")
    return env


async def one(ctx: Context, sc: Scenario) -> dict:
    """A scenario within a hard bound; an error or timeout becomes an aborted (failed) one."""
    started = time.monotonic()
    bound = sc.load_seconds(ctx.timing) + sc.settle_timeout(ctx.timing) + SCENARIO_GRACE_S
    try:
        figures = await asyncio.wait_for(run_scenario(ctx, sc), bound)
    except (ChaosError, ApiError, aiohttp.ClientError, OSError, TimeoutError) as e:
        figures = {"name": sc.name, "summary": sc.summary, "passed": False,
                   "aborted": f"{type(e).__name__}: {str(e)[:300]}",
                   "violations": {"aborted": 1}}
    figures["seconds"] = round(time.monotonic() - started, 1)
    verdict = "PASS" if figures["passed"] else f"FAIL {figures['violations']}"
    note(f"[chaos] {sc.name}: {verdict} ({figures['seconds']:.0f}s)")
    return figures


async def fresh_start(ctx: Context, args) -> None:
    """Fresh infrastructure, services and accounts (a new seller and buyers) for `ctx`."""
    ctx.cluster.services.stop_all()
    ctx.cluster.services.consumers.clear()
    ctx.env = await bring_up(ctx.cluster, args.workers)
    api = ctx.client()
    try:
        ctx.seller, ctx.tokens = await accounts(api, time.strftime("%Y%m%d-%H%M%S"),
                                                args.buyers)
    finally:
        await api.close()


async def leftovers(ctx: Context, previous: dict | None) -> str | None:
    """Why the next scenario must not share this infrastructure: an earlier one aborted, its
    fault action failed, or bookings of earlier events are still `processing` (the consumers
    would be busy with them: a scenario is judged on its own fault only)."""
    if previous and (previous.get("aborted") or previous.get("fault_action_failed")):
        return f"{previous['name']} aborted or its fault action failed"
    try:
        conn = await asyncpg.connect(asyncpg_dsn(ctx.env["DATABASE_URL"]), timeout=10)
        try:
            busy = await conn.fetchval(PROCESSING)
        finally:
            await conn.close()
    except (OSError, asyncpg.PostgresError) as e:
        return f"PostgreSQL unreachable ({type(e).__name__})"
    return f"{busy} booking(s) of earlier scenarios still processing" if busy else None


async def scenarios_in_turn(ctx: Context, args, scenarios: list[Scenario]) -> list[dict]:
    """Each scenario on infrastructure free of what the previous ones left behind."""
    results: list[dict] = []
    for sc in scenarios:
        why = await leftovers(ctx, results[-1] if results else None) if results else None
        if why:
            note(f"[chaos] fresh infrastructure before {sc.name}: {why}")
            await fresh_start(ctx, args)
        results.append(await one(ctx, sc))
        results[-1]["fresh_infrastructure"] = "first scenario" if len(results) == 1 else why
    return results


async def suite(args, scenarios: list[Scenario], cluster: Cluster) -> dict:
    """Bring everything up, run the scenarios, return the report."""
    started, load_at_start = time.time(), os.getloadavg()
    ctx = Context(cluster, f"http://127.0.0.1:{args.api_port}", args.timeout, "", [], {},
                  SHORT if args.short else FULL, args.rate, args.sabotage,
                  random.Random(args.seed))
    await fresh_start(ctx, args)
    results = await scenarios_in_turn(ctx, args, scenarios)
    return {
        "started_at": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
        "finished_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "duration_s": round(time.time() - started, 1), "short": args.short,
        "rate": args.rate, "sabotage": args.sabotage, "commit": commit(),
        "passed": all(r["passed"] for r in results), "scenarios": results,
        "machine": output.machine(load_at_start),
    }


async def guarded(args, scenarios: list[Scenario], cluster: Cluster) -> dict:
    """`suite`, cancelled cleanly by SIGTERM or SIGHUP as by Ctrl-C."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, task.cancel)
    return await suite(args, scenarios, cluster)


def stop_everything(cluster: Cluster) -> None:
    """Every child (consumers, API) and the profile's infrastructure; safe to call twice."""
    note("[chaos] stopping the services and the infrastructure…")
    with contextlib.suppress(Exception):
        cluster.services.stop_all()
    cluster.backing.down()


def service_env() -> dict[str, str]:
    """The services' environment: ours, plus (unless set) a signing secret of this run's own,
    the same across API restarts, and seller sign-up open for the suite's seller
    (spec/security.md, "Configuration")."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.setdefault("TICKETING_JWT_SECRET", secrets.token_hex(32))
    env.setdefault("TICKETING_SELLER_SIGNUP", "open")
    return env


def main(argv: list[str] | None = None) -> None:
    """Parse, run, report; exits 0 (all pass), 1 (violations) or 2 (the suite could not run)."""
    args = parse(argv)
    if args.list:
        for sc in SCENARIOS:
            print(f"{sc.name:22} {sc.summary}")
        return
    scenarios = chosen(args.scenario, args.short)
    LOGS.mkdir(parents=True, exist_ok=True)
    for old in LOGS.glob("*.log"):  # fresh infrastructure, fresh logs
        old.unlink()
    backing = Backing(LOGS / "infra.log")  # first: it settles the port variables
    services = Services(service_env(), LOGS, args.api_port, args.workers)
    cluster = Cluster(backing, services)
    try:
        result = asyncio.run(guarded(args, scenarios, cluster))
    except (ChaosError, ApiError, OSError) as e:
        note(f"[chaos] the suite could not run: {e}")
        sys.exit(2)
    except (KeyboardInterrupt, asyncio.CancelledError):
        note("[chaos] interrupted")
        sys.exit(130)
    finally:
        stop_everything(cluster)
    json_path, md_path = report.write(result, Path(args.reports), time.strftime("%Y%m%d-%H%M%S"))
    print(md_path.read_text())
    note(f"[chaos] report: {json_path} and {md_path}")
    sys.exit(0 if result["passed"] else 1)
