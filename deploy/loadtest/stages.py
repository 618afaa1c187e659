"""The arrival schedule of the `ramp` mode: k6's `ramping-arrival-rate` stages
(spec/performance.md, "How to run").

`--stages 1000:5s,1400:50s,1000:5s` is a list of (target rate, duration). As in k6, the rate
starts at the start rate and each stage ramps it linearly from where the previous stage left
it (the start rate, for the first) to the stage's target over the stage's duration; a stage
whose target equals the rate before it holds that rate. Unlike k6, whose `startRate` defaults
to 0, the start rate here defaults to the first stage's target, so the first stage holds its
rate (`--start-rate 500` gives the k6 reading of "start at 500/s, reach 1,000/s in 5 s").

Arrival k (k = 0, 1, 2, …) starts at the moment t where the expected number of arrivals so
far, N(t) = ∫₀ᵗ rate, equals k; so the first starts at 0 and a run has ⌈N(total)⌉ arrivals
(at a constant 1,000/s for 1 s: at 0, 1 ms, …, 999 ms, as `sustained` spaces them).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)?$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}


@dataclass(frozen=True)
class RateStage:
    """One stage: reach `target` arrivals per second linearly over `duration` seconds."""

    target: float
    duration: float


def parse_duration(text: str) -> float:
    """'5s' → 5.0, '500ms' → 0.5, '2m' → 120.0, '3' → 3.0 (seconds); ValueError otherwise."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"duration must be like 5s, 500ms or 2m, not {text!r}")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def parse_stages(text: str) -> list[RateStage]:
    """'1000:5s,1400:50s' → [RateStage(1000, 5), RateStage(1400, 50)]; ValueError for an empty
    list, a negative rate, a zero duration or anything not `RATE:DURATION`."""
    stages = []
    for part in text.split(","):
        rate, sep, duration = part.strip().partition(":")
        if not sep:
            raise ValueError(f"a stage is RATE:DURATION (e.g. 1000:5s), not {part!r}")
        try:
            target = float(rate)
        except ValueError as e:
            raise ValueError(f"rate must be a number, not {rate!r}") from e
        seconds = parse_duration(duration)
        if target < 0 or not math.isfinite(target) or seconds <= 0:
            raise ValueError(f"stage {part!r}: rate ≥ 0 and duration > 0 are needed")
        stages.append(RateStage(target, seconds))
    return stages


def total_seconds(stages: list[RateStage]) -> float:
    """Length of the whole schedule, in seconds."""
    return sum(s.duration for s in stages)


def expected_arrivals(start_rate: float, stages: list[RateStage]) -> float:
    """N(total): the area under the rate curve (arrivals, not rounded)."""
    total, rate = 0.0, start_rate
    for stage in stages:
        total += (rate + stage.target) / 2 * stage.duration
        rate = stage.target
    return total


def arrival_times(start_rate: float, stages: list[RateStage]) -> list[float]:
    """Start offsets in seconds (ascending, from 0, all below `total_seconds`) of every
    arrival of the schedule, k6's ramping-arrival-rate semantics (see the module docstring)."""
    times: list[float] = []
    before, offset, rate = 0.0, 0.0, start_rate  # N at the stage's start, its start time
    for stage in stages:
        r0, r1, length = rate, stage.target, stage.duration
        area = (r0 + r1) / 2 * length
        half_slope = (r1 - r0) / (2 * length)  # N(t) = before + r0·t + half_slope·t²
        k = math.ceil(before - 1e-9)
        while k < before + area - 1e-9:
            x = k - before  # arrivals into this stage
            if x <= 0:
                t = 0.0
            elif half_slope == 0:
                t = x / r0
            else:  # the root of half_slope·t² + r0·t − x = 0 in [0, length], stable form
                t = 2 * x / (r0 + math.sqrt(max(0.0, r0 * r0 + 4 * half_slope * x)))
            times.append(offset + min(t, length))
            k += 1
        before, offset, rate = before + area, offset + length, r1
    return times


def peak_rate(start_rate: float, stages: list[RateStage]) -> float:
    """The highest rate of the schedule (arrivals/s)."""
    return max([start_rate] + [s.target for s in stages])
