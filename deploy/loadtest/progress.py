"""A progress line on stderr, rewritten in place with \\r while a phase runs."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable

TTY_EVERY_S = 0.5
LOG_EVERY_S = 5.0  # when stderr is a file or a pipe, a plain line now and then


def _write(text: str, tty: bool) -> None:
    sys.stderr.write(f"\r{text}\x1b[K" if tty else f"{text}\n")
    sys.stderr.flush()


async def _loop(line: Callable[[], str], tty: bool) -> None:
    while True:
        await asyncio.sleep(TTY_EVERY_S if tty else LOG_EVERY_S)
        _write(line(), tty)


@contextlib.asynccontextmanager
async def progress(line: Callable[[], str]) -> AsyncIterator[None]:
    """Show `line()` until the block ends, then leave its final value on its own line."""
    tty = sys.stderr.isatty()
    task = asyncio.create_task(_loop(line, tty))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        _write(line(), tty)
        if tty:
            sys.stderr.write("\n")


def note(text: str) -> None:
    """A one-off message on stderr."""
    print(text, file=sys.stderr, flush=True)
