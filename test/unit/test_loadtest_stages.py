"""The ramp mode's arrival schedule: k6 ramping-arrival-rate stages (deploy/loadtest/stages.py)."""

import pytest

from deploy.loadtest.cli import parser
from deploy.loadtest.stages import (
    RateStage,
    arrival_times,
    expected_arrivals,
    parse_duration,
    parse_stages,
    peak_rate,
)
from deploy.loadtest.stampede import ramp_seating, ramp_times, start_rate
from deploy.loadtest.targets import seats_of


def test_stages_parse_rates_and_durations():
    assert parse_stages("1000:5s,1400:50s, 1000:500ms") == [
        RateStage(1000, 5), RateStage(1400, 50), RateStage(1000, 0.5)]
    assert parse_duration("2m") == 120 and parse_duration("3") == 3


@pytest.mark.parametrize("text", ["", "1000", "1000:5x", "-1:5s", "abc:5s", "100:0s"])
def test_bad_stages_are_refused(text):
    with pytest.raises(ValueError):
        parse_stages(text)


def test_the_command_line_refuses_bad_stages(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["ramp", "--stages", "1000"])
    assert "RATE:DURATION" in capsys.readouterr().err


def test_a_constant_stage_spaces_arrivals_evenly_from_zero():
    times = arrival_times(1000, [RateStage(1000, 1)])
    assert len(times) == 1000
    assert times[0] == 0 and times[1] == pytest.approx(0.001) and times[-1] == pytest.approx(0.999)


def test_a_ramp_is_linear_from_the_previous_target():
    # 0 → 100/s over 10 s: N(t) = 5 t², so arrival k is at sqrt(k / 5)
    times = arrival_times(0, [RateStage(100, 10)])
    assert len(times) == 500
    assert times[20] == pytest.approx((20 / 5) ** 0.5)
    assert times[499] == pytest.approx((499 / 5) ** 0.5)
    # twice as many arrivals in the second half as in the first, i.e. the rate rises
    first = sum(1 for t in times if t < 5)
    assert first == 125


def test_stages_chain_start_rate_then_each_target():
    stages = [RateStage(1000, 5), RateStage(1400, 50), RateStage(1000, 5)]
    # the hand-measured run of issue 12: start 500/s, 69,751 bookings
    assert len(arrival_times(500, stages)) == 69_750
    assert expected_arrivals(500, stages) == 3_750 + 60_000 + 6_000
    # default start rate = first target: 5 s held at 1,000/s
    times = arrival_times(1000, stages)
    assert len(times) == 71_000
    assert sum(1 for t in times if t < 5) == 5_000
    assert all(a <= b for a, b in zip(times, times[1:], strict=False))
    assert max(times) < 60


def test_a_falling_ramp_and_a_zero_rate_stage():
    times = arrival_times(100, [RateStage(0, 2), RateStage(0, 5)])
    assert len(times) == 100  # the triangle's area; no arrival in the idle stage
    assert max(times) < 2
    assert peak_rate(100, [RateStage(0, 2)]) == 100


def test_the_ramp_defaults_and_sizing():
    args = parser().parse_args(["ramp", "--stages", "200:3s,400:5s"])
    assert start_rate(args) == 200 and args.vus == 2000 and args.quantity == (1, 4)
    arrivals = len(ramp_times(args))
    assert arrivals == 600 + 1500
    config, events = ramp_seating(args)
    assert events == 1 and seats_of(config) >= arrivals * 2.5 * 1.25
    args = parser().parse_args(["ramp", "--start-rate", "0", "--seats", "12000"])
    assert start_rate(args) == 0
    config, _ = ramp_seating(args)
    assert 12_000 <= seats_of(config) < 12_000 + 5_000


def test_the_stampede_defaults_are_10000_buyers_over_100_subsections_of_100_seats():
    args = parser().parse_args(["stampede"])
    assert args.buyers == 10_000 and args.accounts == 200 and args.connect_first
    assert args.sections * args.subsections == 100 and args.rows * args.cols == 100
    assert not parser().parse_args(["stampede", "--no-connect-first"]).connect_first
