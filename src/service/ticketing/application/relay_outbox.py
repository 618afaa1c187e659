"""Use case: the outbox relay, run by every ticketing process once a second.

The booking row is the outbox entry (spec/architecture.md, guarantees 1 and 8). Each sweep:

1. gives up the bookings still `processing` `settle_deadline_s` after they were created
   (`lifecycle.GIVE_UP`, reason `FailureReason.NOT_CONFIRMED_IN_TIME`), announces them and
   sends a release, so that anything allocated meanwhile is freed;
2. re-sends the BookingCreated of `processing` bookings the broker never acknowledged, and the
   BookingCancelled of cancelled or given-up bookings whose release it never acknowledged,
   with exponential backoff per booking (the Nth re-send waits `republish_after_s` ×
   2^(N-1), at most `backoff_cap_s`; right after the broker came back, no backoff until the
   backlog is sent). An acknowledged command is never sent again, so a consumer outage costs
   no extra messages;
3. deletes pay and cancel idempotency keys (`idempotency_keys` rows) older than `key_ttl_s`,
   up to `purge_batch` a sweep (more than the API can create in a second). Create keys live
   in their bookings and need no sweep: expired, they count as absent and are cleared by
   their next use (spec/architecture.md, guarantee 9).
"""

import logging
from dataclasses import dataclass
from uuid import UUID

from src.service.ticketing.application.dispatch import Command, Dispatch
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.messages import (
    announce,
    cancelled_command,
    created_command,
)
from src.service.ticketing.application.ports import StatusNotifier, UnitOfWorkFactory
from src.service.ticketing.application.views import OutboxEntry
from src.service.ticketing.domain.booking import FailureReason

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RelayOutbox:
    """One call is one sweep, over at most `batch` bookings per step; durations in seconds."""

    uow: UnitOfWorkFactory
    layouts: EventLayouts
    dispatch: Dispatch
    notifier: StatusNotifier
    republish_after_s: float = 10.0
    backoff_cap_s: float = 300.0
    settle_deadline_s: float = 600.0
    key_ttl_s: float = 86400.0
    batch: int = 500
    purge_batch: int = 20_000

    async def __call__(self) -> int:
        """How many commands were sent (acknowledged or not). Raises `Unavailable` when
        PostgreSQL is down; a broker outage only leaves the rows for a later sweep."""
        await self.give_up_overdue()
        sent = await self.resend_stale()
        async with self.uow() as uow:
            await uow.keys.purge(self.key_ttl_s, self.purge_batch)
        return sent

    async def give_up_overdue(self) -> int:
        """Step 1; how many bookings were given up. A booking that settled between the read
        and the write is left alone (set-wise compare-and-set)."""
        async with self.uow() as uow:
            overdue = await uow.bookings.overdue(self.settle_deadline_s, self.batch)
        if not overdue:
            return 0
        reason = FailureReason.NOT_CONFIRMED_IN_TIME
        async with self.uow() as uow:
            failed = await uow.bookings.give_up([b.id for b in overdue], reason)
        for booking in failed:
            log.error("booking_given_up booking_id=%s created_at=%s", booking.id,
                      booking.created_at.isoformat())
            await announce(self.notifier, booking, None)
        acked = await self.dispatch.send_all([cancelled_command(b) for b in failed])
        await self._releases_acked([b.id for b, ok in zip(failed, acked, strict=True) if ok])
        return len(failed)

    async def resend_stale(self) -> int:
        """Step 2; how many commands were sent."""
        # Right after the broker came back every unacknowledged command is due at once.
        catching_up = self.dispatch.recovered
        cap = self.republish_after_s if catching_up else self.backoff_cap_s
        async with self.uow() as uow:
            stale = await uow.bookings.claim_stale(self.republish_after_s, cap, self.batch)
        if catching_up and len(stale) < self.batch:
            self.dispatch.recovered = False
        if not stale:
            return 0
        acked = await self.dispatch.send_all([await self._command(e) for e in stale])
        await self._releases_acked(
            [e.booking.id for e, ok in zip(stale, acked, strict=True) if ok and e.release])
        log.info("outbox_swept count=%d acked=%d", len(stale), sum(acked))
        return len(stale)

    async def _command(self, entry: OutboxEntry) -> Command:
        if entry.release:
            return cancelled_command(entry.booking)
        return created_command(entry.booking, await self.layouts(entry.booking.event_id))

    async def _releases_acked(self, booking_ids: list[UUID]) -> None:
        if booking_ids:
            async with self.uow() as uow:
                await uow.bookings.release_published(booking_ids)
