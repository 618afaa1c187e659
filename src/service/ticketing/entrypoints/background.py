"""The HTTP process's background sweeps (the outbox relay, the refund relay): one loop, one
error policy."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from src.service.ticketing.application.ports import Unavailable

log = logging.getLogger(__name__)


async def _forever(name: str, sweep: Callable[[], Awaitable[object]], interval_s: float) -> None:
    while True:
        try:
            await sweep()
        except Unavailable as e:  # PostgreSQL down: the rows wait, nothing is lost
            log.warning("%s_sweep_deferred error=%r", name, e)
        except Exception:  # noqa: BLE001 - outermost loop of a background task
            log.exception("%s_sweep_failed", name)
        await asyncio.sleep(interval_s)


@asynccontextmanager
async def sweeping(
    name: str, sweep: Callable[[], Awaitable[object]], interval_s: float
) -> AsyncIterator[None]:
    """Run `sweep` every `interval_s` seconds while the block runs, a failing sweep logged as
    `<name>_sweep_deferred` (a backing service down) or `<name>_sweep_failed` and tried again;
    cancelled on the way out."""
    task = asyncio.create_task(_forever(name, sweep, interval_s))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
