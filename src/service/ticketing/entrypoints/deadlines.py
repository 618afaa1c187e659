"""Deadlines for a step of a request (reading its body) without a timer per request.

An asyncio timer per request (`asyncio.timeout`, or `loop.call_later`) costs 2.5–6.5 µs under
uvloop, as much as the rest of the hardening middleware on the booking hot path
(spec/security.md, "What the hot path pays"). Here arming and disarming a deadline are a dict
insert and delete; one watchdog task per event loop looks every `TICK_S` for steps past their
deadline and cancels their task, so a deadline holds to within `TICK_S`.
"""

import asyncio
import time

TICK_S = 0.1


class Deadline:
    """One armed step: its task, when it must be done (`time.monotonic()`), whether the
    watchdog cancelled it."""

    __slots__ = ("task", "at", "fired")

    def __init__(self, task: asyncio.Task, at: float) -> None:
        self.task, self.at, self.fired = task, at, False


class Deadlines:
    """`arm(timeout_s)` before the step, `disarm` after it (in a `finally`); a step still
    running at its deadline is cancelled, and `expired(deadline)` then tells that
    CancelledError from any other (and takes the watchdog's cancellation back)."""

    def __init__(self) -> None:
        self._armed: dict[Deadline, None] = {}
        self._watchdog: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def arm(self, timeout_s: float) -> Deadline:
        """A deadline `timeout_s` from now for the current task's step."""
        task = asyncio.current_task()
        assert task is not None
        if task.get_loop() is not self._loop:  # the first request on this event loop
            self._loop, self._armed = task.get_loop(), {}
            self._watchdog = self._loop.create_task(self._watch())
        deadline = Deadline(task, time.monotonic() + timeout_s)
        self._armed[deadline] = None
        return deadline

    def disarm(self, deadline: Deadline) -> None:
        """The step is over (again is harmless)."""
        self._armed.pop(deadline, None)

    @staticmethod
    def expired(deadline: Deadline) -> bool:
        """Whether the CancelledError being handled is this deadline's and nobody else's; if
        so, it is taken back and the task may go on."""
        return deadline.fired and deadline.task.uncancel() == 0

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            late = [d for d in self._armed if d.at <= now]
            for deadline in late:
                # Armed means the task is suspended inside its step: the cancellation lands
                # there, not after it.
                del self._armed[deadline]
                deadline.fired = True
                deadline.task.cancel()
