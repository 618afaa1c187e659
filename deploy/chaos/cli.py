"""Command line of the chaos suite: `python -m deploy.chaos [--scenario NAME …] [--short]
[--sabotage KIND]`."""

from __future__ import annotations

import argparse
import os

from deploy.chaos.sabotage import KINDS
from deploy.chaos.scenarios import BY_NAME, SHORT_DEFAULT

MAX_RATE = 200.0  # the shared machine's rule: bounded load only
DEFAULT_RATE, SHORT_RATE = 150.0, 50.0


def parser() -> argparse.ArgumentParser:
    """The argument parser."""
    env = os.environ
    ap = argparse.ArgumentParser(
        prog="python -m deploy.chaos",
        description="Fault-injection suite: fresh infrastructure (profile `chaos`), the API and "
        "the consumers as children, then per scenario a fresh event, bounded load, one fault, "
        "settling and the checks (spec/faults.md).")
    ap.add_argument("--scenario", action="append", choices=sorted(BY_NAME), metavar="NAME",
                    help="run this scenario (repeatable; default: all, or with --short "
                    f"{' and '.join(SHORT_DEFAULT)}); one of: {', '.join(BY_NAME)}")
    ap.add_argument("--short", action="store_true",
                    help="short form: one 5,000-seat event per scenario, ~20 s of load at "
                    f"{SHORT_RATE:.0f}/s, the fault at 6 s (what `make test` runs)")
    ap.add_argument("--sabotage", choices=KINDS, default=env.get("CHAOS_SABOTAGE") or None,
                    help="corrupt the data (or the client's observations) of every scenario "
                    "after settling, to show that a check fires (or CHAOS_SABOTAGE)")
    ap.add_argument("--rate", type=float, default=None,
                    help=f"bookings per second (default {DEFAULT_RATE:.0f}, --short "
                    f"{SHORT_RATE:.0f}; at most {MAX_RATE:.0f})")
    ap.add_argument("--buyers", type=int, default=40, help="buyer accounts, logged in once")
    ap.add_argument("--timeout", type=float, default=15.0, help="seconds per booking request")
    ap.add_argument("--api-port", type=int, default=int(env.get("CHAOS_API_PORT", 31800)),
                    help="port of the API the suite starts, on 127.0.0.1 (default %(default)s)")
    ap.add_argument("--workers", type=int, default=2, help="API server workers (default 2)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (targets, quantities)")
    ap.add_argument("--reports", default="reports",
                    help="directory of chaos-latest.json/.md (default %(default)s)")
    ap.add_argument("--list", action="store_true", help="list the scenarios and exit")
    return ap


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Parsed and checked arguments (the rate is bounded)."""
    ap = parser()
    args = ap.parse_args(argv)
    if args.rate is None:
        args.rate = SHORT_RATE if args.short else DEFAULT_RATE
    if not 0 < args.rate <= MAX_RATE:
        ap.error(f"--rate must lie in (0, {MAX_RATE:.0f}]")
    return args
