"""Command line of the load tool: `sellout`, `sustained`, `stampede`, `ramp`, `drain` and
`verify`."""

from __future__ import annotations

import argparse
import os

from deploy.loadtest.sabotage import KINDS
from deploy.loadtest.stages import parse_stages

DEFAULT_BASE_URL = "http://127.0.0.1:38000"  # the bench profile's ticketing port


def quantity_range(text: str) -> tuple[int, int]:
    """'2' → (2, 2); '1-4' → (1, 4); within the 1–4 seats a booking may have."""
    low, _, high = text.partition("-")
    try:
        bounds = (int(low), int(high or low))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"quantity must be N or N-M, not {text!r}") from e
    if not 1 <= bounds[0] <= bounds[1] <= 4:
        raise argparse.ArgumentTypeError("quantity must lie within 1-4")
    return bounds


def _common(p: argparse.ArgumentParser) -> None:
    env = os.environ
    p.add_argument("--base-url", default=env.get("BASE_URL", DEFAULT_BASE_URL),
                   help="ticketing API; loopback addresses only (default %(default)s)")
    p.add_argument("--database-url", default=env.get("DATABASE_URL"),
                   help="PostgreSQL, read for settling and checks (default $DATABASE_URL)")
    p.add_argument("--kvrocks-url", default=env.get("KVROCKS_URL"),
                   help="Kvrocks/redis-server, read for checks (default $KVROCKS_URL)")
    p.add_argument("--settle-timeout", type=float, default=120.0,
                   help="seconds to wait for accepted bookings to settle")
    p.add_argument("--sabotage", choices=KINDS, default=env.get("LOADTEST_SABOTAGE") or None,
                   help="corrupt one seat before the checks, to see them fail "
                   "(or LOADTEST_SABOTAGE)")


def stages_text(text: str) -> str:
    """`--stages` as given, once it parses (deploy/loadtest/stages.py)."""
    try:
        parse_stages(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e
    return text


def _load(p: argparse.ArgumentParser, quantity: str, buyers: int,
          buyers_help: str = "buyer accounts, logged in once", rows: int = 25,
          cols: int = 20) -> None:
    _common(p)
    p.add_argument("--quantity", type=quantity_range, default=quantity_range(quantity),
                   help=f"seats per booking, N or N-M (default {quantity})")
    p.add_argument("--buyers", type=int, default=buyers, help=buyers_help)
    p.add_argument("--rows", type=int, default=rows)
    p.add_argument("--cols", type=int, default=cols)
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request")
    p.add_argument("--retries", type=int, default=2,
                   help="retries of a booking with its Idempotency-Key after a connection error, "
                   "a timeout or a 503 (default %(default)s; 0: none)")
    p.add_argument("--idempotency-keys", action=argparse.BooleanOptionalAction, default=True,
                   help="send an Idempotency-Key with every booking (default); without keys "
                   "nothing is retried, since a retry could book twice")
    p.add_argument("--seed", type=int, default=None, help="random seed (quantities, targets)")
    p.add_argument("--max-tickets-per-buyer", type=int, default=None,
                   help="create the event(s) with this per-buyer ticket limit, to measure the "
                   "accept path with limits on (spec/booking.md, rule 11; default: none)")
    p.add_argument("--hold-seconds", type=int, default=None,
                   help="create the event(s) with this payment deadline (30-86400; spec/"
                   "booking.md, rule 6; default: none)")
    p.add_argument("--sales-window", action="store_true",
                   help="create the event(s) with a sale window open from a minute ago for a "
                   "day, so every booking takes the window check (spec/booking.md, rule 10)")
    p.add_argument("--reports", default="reports", help="directory of JSON and PNG reports")


def _drain(p: argparse.ArgumentParser) -> None:
    env = os.environ
    _load(p, "1", 200)
    p.set_defaults(cols=50)
    p.add_argument("--bookings", type=int, default=50_000, help="bookings in the backlog")
    p.add_argument("--sections", type=int, default=None,
                   help="sections (default: enough seats for every booking of the backlog)")
    p.add_argument("--subsections", type=int, default=2, help="per section")
    p.add_argument("--concurrency", type=int, default=256, help="requests in flight")
    p.add_argument("--max-seconds", type=float, default=600.0, help="deadline of the build")
    p.add_argument("--pids", default=env.get("RESERVATION_PIDS"),
                   help="pids of the reservation consumers to pause (default $RESERVATION_PIDS)")
    p.add_argument("--kafka-url", default=env.get("KAFKA_BOOTSTRAP_SERVERS"),
                   help="Kafka, read for the backlog (default $KAFKA_BOOTSTRAP_SERVERS)")


def _stampede(p: argparse.ArgumentParser) -> None:
    _load(p, "1", 10_000, "bookings, each on a TCP connection of its own (default "
          "%(default)s)", rows=10, cols=10)
    p.add_argument("--accounts", type=int, default=200,
                   help="buyer accounts logged in; the buyers use their tokens in turn")
    p.add_argument("--sections", type=int, default=10)
    p.add_argument("--subsections", type=int, default=10,
                   help="per section (default 10 × 10 subsections of 10 × 10 = 10,000 seats)")
    p.add_argument("--connect-first", action=argparse.BooleanOptionalAction, default=True,
                   help="open every connection before the release (default), as browsers "
                   "that opened the page early; without: connect at the release")
    p.set_defaults(vus=0)


def _ramp(p: argparse.ArgumentParser) -> None:
    _load(p, "1-4", 200)
    p.add_argument("--stages", type=stages_text, default="1000:5s,1400:50s,1000:5s",
                   help="RATE:DURATION,… k6 ramping-arrival-rate stages (default %(default)s)")
    p.add_argument("--start-rate", type=float, default=None,
                   help="arrivals/s at the start (default: the first stage's target, so the "
                   "first stage holds its rate; k6's own default is 0)")
    p.add_argument("--vus", type=int, default=2000,
                   help="virtual users; an arrival while all are busy is dropped and counted")
    p.add_argument("--seats", type=int, default=None,
                   help="seats in all (default: the schedule's demand with 25%% headroom)")
    p.set_defaults(connect_first=False)


def parser() -> argparse.ArgumentParser:
    """The argument parser with its six sub-commands."""
    ap = argparse.ArgumentParser(prog="python -m deploy.loadtest",
                                 description="Load tool of the seat-ticketing backend.")
    sub = ap.add_subparsers(dest="mode", required=True)
    spike = sub.add_parser("sellout", help="spike: sell a fresh event out as fast as possible")
    _load(spike, "1", 200)
    spike.add_argument("--sections", type=int, default=10)
    spike.add_argument("--subsections", type=int, default=2, help="per section")
    spike.add_argument("--concurrency", type=int, default=256, help="requests in flight")
    spike.add_argument("--max-seconds", type=float, default=300.0, help="spike deadline")
    spike.add_argument("--max-requests", type=int, default=None,
                       help="request budget (default 20 × seats)")
    spike.add_argument("--on-sale-in", type=float, default=None, metavar="SECONDS",
                       help="flash-sale shape: the event's sales open SECONDS after it is "
                       "created; buyers log in meanwhile, a booking sent early is retried at "
                       "the opening, and the report measures from it")
    steady = sub.add_parser("sustained", help="fixed arrival rate for a fixed duration")
    _load(steady, "1-4", 200)
    steady.add_argument("--rate", type=float, default=2000.0, help="bookings per second")
    steady.add_argument("--duration", type=float, default=60.0, help="seconds")
    steady.add_argument("--sections", type=int, default=None,
                        help="sections of 10 subsections in all (default: enough for the demand)")
    steady.add_argument("--max-inflight", type=int, default=2000,
                        help="requests in flight before arrivals are dropped")
    steady.add_argument("--sse-event-streams", type=int, default=0, metavar="N",
                        help="idle event streams (GET /api/event/{id}/sse) open during the run; "
                        "the API needs TICKETING_SSE_MAX_PER_ADDRESS above the streams' total")
    steady.add_argument("--sse-booking-streams", type=int, default=0, metavar="M",
                        help="idle booking streams (GET /api/booking/event/{id}/sse) of the "
                        "buyers, ceil(M / --buyers) each: at most the API's "
                        "TICKETING_SSE_MAX_PER_USER (10 by default)")
    _stampede(sub.add_parser("stampede", help="N buyers on a connection each, released at "
                             "one instant (Go client)"))
    _ramp(sub.add_parser("ramp", help="open model, ramping arrival rate in stages, a fresh "
                         "connection per arrival (Go client)"))
    _drain(sub.add_parser("drain", help="pause the consumers, build a backlog through the API, "
                          "time how fast the consumers work it off"))
    check = sub.add_parser("verify", help="run the checks on an existing event")
    _common(check)
    check.add_argument("--event-id", type=int, required=True)
    check.add_argument("--sold-out", action="store_true", help="also require every seat held")
    check.add_argument("--accepted-ids", default=None,
                       help="file of accepted booking ids, one a line (for lost_bookings)")
    return ap
