"""Deadlines without a timer per request: a step past its deadline is cancelled and may go on,
a step done in time is left alone, and a cancellation from elsewhere is never swallowed
(entrypoints/deadlines.py; spec/security.md, "Timeouts")."""

import asyncio

import pytest

from src.service.ticketing.entrypoints.deadlines import TICK_S, Deadlines


async def step(deadlines: Deadlines, timeout_s: float, seconds: float) -> str:
    """Sleep `seconds` under a deadline of `timeout_s`; what happened."""
    deadline = deadlines.arm(timeout_s)
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        if not deadlines.expired(deadline):
            raise
        await asyncio.sleep(0)  # the task goes on, no longer cancelled
        return "late"
    finally:
        deadlines.disarm(deadline)
    return "done"


async def test_a_step_past_its_deadline_is_cancelled_within_a_tick_and_goes_on():
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await step(Deadlines(), 0.05, 10) == "late"
    assert 0.05 <= loop.time() - started < 0.05 + 3 * TICK_S


async def test_a_step_done_in_time_is_never_cancelled_afterwards():
    deadlines = Deadlines()
    assert await step(deadlines, 0.05, 0.01) == "done"
    await asyncio.sleep(0.05 + 3 * TICK_S)  # would be cancelled here if still armed


async def test_a_cancellation_from_elsewhere_is_not_taken_for_the_deadline():
    deadlines = Deadlines()
    outside = asyncio.create_task(step(deadlines, 10, 10))
    await asyncio.sleep(0.01)
    outside.cancel()
    with pytest.raises(asyncio.CancelledError):
        await outside
