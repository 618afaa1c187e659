"""Use case: the refund relay finishes refunds whose payout or seat release did not go
through (spec/tickets.md, rule 16). The refund row is the outbox entry."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from uuid import UUID

from src.service.ticketing.application.dispatch import Dispatch
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.application.refunding import pay_out, release
from src.service.ticketing.application.ticket_ports import PaymentProvider
from src.service.ticketing.domain.refund import Refund

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RelayRefunds:
    """One call claims up to `batch` refunds untouched for `retry_after_s` seconds that are
    not paid out or whose seats' release was not acknowledged, and tries those steps again.
    Both are idempotent (the provider by refund id, the release by the seat map's record)."""

    uow: UnitOfWorkFactory
    layouts: EventLayouts
    payments: PaymentProvider
    dispatch: Dispatch
    retry_after_s: float = 10.0
    batch: int = 200

    async def __call__(self) -> int:
        """How many refunds were claimed."""
        async with self.uow() as uow:
            pending = await uow.refunds.claim_pending(self.retry_after_s, self.batch)
        await pay_out(self.uow, self.payments, [r for r in pending if r.provider_ref is None])
        unreleased: dict[UUID, list[Refund]] = defaultdict(list)
        for r in pending:
            if r.release_pending:
                unreleased[r.booking_id].append(r)
        for booking_id, refunds in unreleased.items():
            async with self.uow() as uow:
                booking = await uow.bookings.get(booking_id)
            assert booking is not None, "a refund's booking exists"
            cols = (await self.layouts(booking.event_id)).seating_config.cols
            await release(self.uow, self.dispatch, booking, refunds, cols, probe=True)
        if pending:
            log.info("refunds_relayed count=%d", len(pending))
        return len(pending)
