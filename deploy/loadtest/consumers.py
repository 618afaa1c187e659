"""Pausing and resuming the reservation consumers (SIGSTOP / SIGCONT) for the drain mode.

Only the pids handed over in `RESERVATION_PIDS` (bench.sh) are ever signalled, and only if
each one is a running reservation consumer of this machine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

CONSUMER_MODULE = "src.service.reservation.entrypoints.consumer"


class NotConsumers(ValueError):
    """The pids given are missing, malformed or not reservation consumers."""


def parse_pids(text: str | None) -> list[int]:
    """'123 456' → [123, 456] (spaces or commas); raises `NotConsumers` if empty or bad."""
    words = (text or "").replace(",", " ").split()
    if not words:
        raise NotConsumers("no consumer pids: set RESERVATION_PIDS (bench.sh does)")
    try:
        pids = [int(w) for w in words]
    except ValueError as e:
        raise NotConsumers(f"RESERVATION_PIDS must be pids, not {text!r}") from e
    if any(p <= 1 for p in pids):
        raise NotConsumers(f"RESERVATION_PIDS must be pids, not {text!r}")
    return list(dict.fromkeys(pids))


def check_consumers(pids: list[int]) -> list[int]:
    """Return `pids` if every one is a live reservation consumer process; raise otherwise."""
    for pid in pids:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError as e:
            raise NotConsumers(f"pid {pid} is not running") from e
        if CONSUMER_MODULE.encode() not in argv:
            raise NotConsumers(f"pid {pid} is not a reservation consumer")
    return pids


def _signal(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def resume(pids: list[int]) -> float:
    """SIGCONT every consumer; returns the wall-clock time of the resume."""
    _signal(pids, signal.SIGCONT)
    return time.time()


@contextlib.contextmanager
def paused(pids: list[int]) -> Iterator[float]:
    """SIGSTOP the consumers for the block (yields the wall-clock time of the pause); they get
    SIGCONT on the way out whatever happens (a second SIGCONT after `resume` is harmless)."""
    try:
        _signal(pids, signal.SIGSTOP)
        yield time.time()
    finally:
        resume(pids)
