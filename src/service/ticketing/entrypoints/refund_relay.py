"""The refund relay as a background task of the HTTP process (spec/tickets.md, rule 16); it
also finishes cancelled events' sweeps (rule 19)."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from src.service.ticketing.application.ports import Unavailable
from src.service.ticketing.bootstrap import Ticketing

log = logging.getLogger(__name__)


async def _loop(service: Ticketing) -> None:
    """Sweep every `outbox_interval_s`; a failing sweep is logged and tried again."""
    while True:
        try:
            await service.tickets.relay_refunds()
            await service.tickets.cancel_event.sweep_cancelled()
        except Unavailable as e:  # PostgreSQL down: the rows wait, nothing is lost
            log.warning("refund_sweep_deferred error=%r", e)
        except Exception:  # noqa: BLE001 - outermost loop of a background task
            log.exception("refund_sweep_failed")
        await asyncio.sleep(service.settings.outbox_interval_s)


@asynccontextmanager
async def refund_relay(service: Ticketing) -> AsyncIterator[None]:
    """Run the refund relay while the block runs; cancel it on the way out."""
    task = asyncio.create_task(_loop(service))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
