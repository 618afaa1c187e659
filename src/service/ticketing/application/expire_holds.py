"""Use case: the expiry sweeper, run by every ticketing process every
`TICKETING_EXPIRY_INTERVAL_S` (spec/booking.md, rule 6).

Each sweep takes up to `batch` bookings still `pending_payment` whose `expires_at` has passed
through `lifecycle.EXPIRE` in one transaction (tickets back to available, counts moved,
release owed), then tells their SSE streams (`expired` is final, so they close) and the event
stream the new counts, and sends their `BookingCancelled` on the normal release path, as a
cancel does. A release the broker does not acknowledge (or that is not sent while the circuit
is open) is re-sent by the outbox relay (`release_pending`), so the seat map has one writer
and no seat is stranded.
"""

import logging
from dataclasses import dataclass

from src.service.ticketing.application.dispatch import Dispatch
from src.service.ticketing.application.messages import (
    announce,
    announce_counts,
    cancelled_command,
)
from src.service.ticketing.application.ports import Clock, StatusNotifier, UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExpireHolds:
    """One call is one sweep over at most `batch` due bookings; how many it expired."""

    uow: UnitOfWorkFactory
    dispatch: Dispatch
    notifier: StatusNotifier
    clock: Clock
    batch: int = 500

    async def __call__(self) -> int:
        """Expire, announce and release the due bookings. Raises `Unavailable` when
        PostgreSQL is down (nothing changed; the next sweep finds them again)."""
        async with self.uow() as uow:
            done = await uow.bookings.expire_due(self.clock.now(), self.batch)
        if not done.bookings:
            return 0
        for booking in done.bookings:
            await announce(self.notifier, booking, None)
        for event_id, stats in done.counts:
            await announce_counts(self.notifier, event_id, stats)
        log.info("bookings_expired count=%d", len(done.bookings))
        if self.dispatch.healthy:
            acked = await self.dispatch.send_all([cancelled_command(b) for b in done.bookings])
            released = [b.id for b, ok in zip(done.bookings, acked, strict=True) if ok]
            if released:
                async with self.uow() as uow:
                    await uow.bookings.release_published(released)
        return len(done.bookings)
