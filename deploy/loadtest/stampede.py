"""The `stampede` and `ramp` modes (spec/performance.md, "How to run"), fired by the Go client
(`firehose.py`) and checked and reported like `sellout` and `sustained`.

`stampede`: `--buyers` bookings (10,000 by default), each on a connection of its own, opened
first (`--connect-first`, the default: a browser that opened the page early) and all released
at one instant, the on-sale moment; times are measured from that instant. `ramp`: an open model
whose arrival rate follows `--stages` (`stages.py`), each arrival on a fresh connection of one
of `--vus` virtual users, dropped and counted when all are busy.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from deploy.loadtest import firehose
from deploy.loadtest.fixtures import Stage
from deploy.loadtest.progress import note
from deploy.loadtest.recorder import Recorder
from deploy.loadtest.retry import NO_RETRIES, RetryPolicy
from deploy.loadtest.stages import arrival_times, parse_stages, total_seconds
from deploy.loadtest.sustained import SUBSECTIONS_PER_SECTION, events_needed
from deploy.loadtest.targets import Pool, layout

MODES = ("stampede", "ramp")
HEADROOM = 1.25  # seats for the ramp's demand, as `sustained` sizes them


def start_rate(args) -> float:
    """The ramp's start rate: `--start-rate`, else the first stage's target (stages.py)."""
    if args.start_rate is not None:
        return args.start_rate
    return parse_stages(args.stages)[0].target


def ramp_times(args) -> list[float]:
    """Every arrival's start offset (seconds) of the ramp's stages."""
    return arrival_times(start_rate(args), parse_stages(args.stages))


def ramp_seating(args) -> tuple[dict, int]:
    """The ramp's layout and number of events: sections of 10 subsections × rows × cols, enough
    for `--seats` or else for the schedule's arrivals × mean quantity with 25 % headroom, over
    as few events as the API's 200,000-seat limit allows."""
    section_seats = SUBSECTIONS_PER_SECTION * args.rows * args.cols
    seats = args.seats or len(ramp_times(args)) * sum(args.quantity) / 2 * HEADROOM
    sections = max(1, math.ceil(seats / section_seats))
    events, per_event = events_needed(sections, section_seats)
    return layout(per_event, SUBSECTIONS_PER_SECTION, args.rows, args.cols), events


def accounts(args) -> int:
    """Buyer accounts logged in: `--accounts` for a stampede (its `--buyers` are bookings, one
    connection each, sharing the accounts' tokens in turn), `--buyers` for a ramp."""
    return args.accounts if args.mode == "stampede" else args.buyers


def _retry(args) -> RetryPolicy:
    return RetryPolicy(attempts=1 + args.retries) if args.idempotency_keys else NO_RETRIES


async def fire(args, stage: Stage, pool: Pool, rng: random.Random,
               binary: Path) -> tuple[Recorder, dict]:
    """Plan the mode's bookings, run the Go client on them, fold its output; the recorder and
    the report's extra facts (the client's, the listen-queue counters, the mode's own)."""
    keys = args.idempotency_keys
    if args.mode == "stampede":
        planned = firehose.stampede_bookings(args.buyers, stage.tokens, pool, rng, keys)
        span = 0.0
        extra: dict = {"connect_first": args.connect_first, "accounts": args.accounts}
    else:
        times = ramp_times(args)
        planned = firehose.ramp_bookings(times, stage.tokens, pool, rng, keys)
        span = total_seconds(parse_stages(args.stages))
        extra = {"stages": args.stages, "start_rate": start_rate(args), "vus": args.vus,
                 "duration_s": span, "arrivals_planned": len(times)}
    retry = _retry(args)
    the_plan = firehose.plan(args.mode, args.base_url, planned, timeout_s=args.timeout,
                             retry=retry, connect_first=args.connect_first, vus=args.vus)
    deadline = span + args.timeout * retry.attempts + retry.max_s * retry.attempts + 120
    note(f"[{args.mode}] {len(planned)} bookings planned, firing with {binary.name}…")
    before = firehose.listen_counters()
    lines = await firehose.run(binary, the_plan, deadline)
    after = firehose.listen_counters()
    rec, facts = firehose.fold(lines, planned, pool)
    note(f"[{args.mode}] sent {len(rec.samples)} accepted {rec.accepted} rejected "
         f"{rec.rejected} errors {rec.errors} dropped {rec.dropped} | loader CPU "
         f"{facts['loader_fire_cpu_seconds']}s over {facts['loader_fire_seconds']}s "
         f"({facts['loader_cores']} cores)")
    return rec, extra | facts | firehose.listen_delta(before, after)
