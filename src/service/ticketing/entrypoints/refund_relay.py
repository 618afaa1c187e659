"""The refund relay as a background task of the HTTP process (spec/tickets.md, rule 16); it
also finishes cancelled events' sweeps (rule 19)."""

from contextlib import AbstractAsyncContextManager

from src.service.ticketing.bootstrap import Ticketing
from src.service.ticketing.entrypoints.background import sweeping


def refund_relay(service: Ticketing) -> AbstractAsyncContextManager[None]:
    """Run the refund relay and the cancelled events' sweep every `outbox_interval_s` while
    the block runs (logged as `refund_sweep_…` when a sweep fails)."""

    async def sweep() -> None:
        await service.tickets.relay_refunds()
        await service.tickets.cancel_event.sweep_cancelled()

    return sweeping("refund", sweep, service.settings.outbox_interval_s)
