"""The scenarios of the chaos suite: which fault, for how long, and the recovery bounds.

Timing of one scenario (seconds from the first booking of its load):

    0 ──── fault_at ──── fault_at + hold ──── … + tail = end of load ──── settle wait ── checks
           injected      lifted (restart issued)

`first_bound_s`: lifted → the first booking that arrived after the fault began is held.
`all_bound_s`: lifted → every booking accepted before the faulty component was back is
settled. Both are generous on purpose: the suite shares two cores with other test suites, and
a JVM or a Python service restarting on a busy machine takes 5–30 s (spec/faults.md has the
figures measured). The settle wait lasts up to `all_bound_s` + SETTLE_MARGIN_S after the lift.
"""

from __future__ import annotations

from dataclasses import dataclass

SETTLE_MARGIN_S = 30.0


@dataclass(frozen=True)
class Timing:
    """When the fault comes and how long the load goes on after it is lifted."""

    fault_at: float
    tail: float


FULL = Timing(fault_at=10.0, tail=30.0)
SHORT = Timing(fault_at=6.0, tail=14.0)


@dataclass(frozen=True)
class Scenario:
    """One fault: `fault` names its action in `faults.py`, held for `hold_s` before it is
    lifted, with `consumers` reservation consumers running."""

    name: str
    summary: str
    fault: str
    hold_s: float
    first_bound_s: float
    all_bound_s: float
    consumers: int = 1

    def load_seconds(self, timing: Timing) -> float:
        """How long bookings arrive: until `tail` seconds after the lift."""
        return timing.fault_at + self.hold_s + timing.tail

    def settle_timeout(self, timing: Timing) -> float:
        """The settle wait's bound, counted from the end of the load."""
        return max(SETTLE_MARGIN_S, self.all_bound_s + SETTLE_MARGIN_S - timing.tail)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("baseline", "no fault: the same load and checks, to show they pass untouched",
             "none", 0, 10, 30),
    Scenario("consumer-kill-5s", "SIGKILL the reservation consumer, restart it 5 s later",
             "consumer-kill", 5, 60, 90),
    Scenario("consumer-kill-150s", "SIGKILL the reservation consumer, restart it 150 s later "
             "(longer than the old ~100 s give-up, shorter than the 600 s settle deadline)",
             "consumer-kill", 150, 60, 120),
    Scenario("api-worker-kill", "SIGKILL one of the two uvicorn workers; the master respawns it",
             "api-worker-kill", 0, 30, 60),
    Scenario("api-kill", "SIGKILL the whole API (master and workers), restart it 2 s later",
             "api-kill", 2, 60, 60),
    Scenario("kafka-kill-15s", "SIGKILL the Kafka broker, restart it 15 s later",
             "kafka-kill", 15, 120, 150),
    Scenario("kafka-kill-150s", "SIGKILL the Kafka broker, restart it 150 s later",
             "kafka-kill", 150, 120, 180),
    Scenario("kvrocks-flush", "FLUSHALL on Kvrocks mid-load (every seat map, counter and "
             "allocation gone)", "kvrocks-flush", 0, 30, 60),
    Scenario("kvrocks-old-snapshot", "SAVE a snapshot, keep loading 5 s, SIGKILL redis-server "
             "and restart it from that older dump", "kvrocks-old-snapshot", 5, 30, 60),
    Scenario("postgres-restart", "fast restart of PostgreSQL (pg_ctl -m fast restart)",
             "postgres-restart", 0, 60, 90),
    Scenario("postgres-stop-10s", "fast stop of PostgreSQL, start it 10 s later",
             "postgres-stop", 10, 60, 90),
    Scenario("rebalance", "two consumers; SIGKILL one, start it again 5 s later: the group "
             "rebalances twice", "consumer-kill", 5, 60, 90, consumers=2),
)
BY_NAME = {s.name: s for s in SCENARIOS}
SHORT_DEFAULT = ("kvrocks-flush", "consumer-kill-5s")  # the ones `make test` runs


def chosen(names: list[str] | None, short: bool) -> list[Scenario]:
    """The scenarios asked for (in the suite's order), or the default set: every scenario, or
    with `--short` the two of `make test`."""
    wanted = names or (list(SHORT_DEFAULT) if short else [s.name for s in SCENARIOS])
    unknown = [n for n in wanted if n not in BY_NAME]
    if unknown:
        raise ValueError(f"unknown scenario(s) {', '.join(unknown)}: one of {', '.join(BY_NAME)}")
    return [s for s in SCENARIOS if s.name in wanted]
