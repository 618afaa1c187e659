"""The outbox relay: re-publishes commands the broker may never have received.

The booking row is the outbox entry (DESIGN.md §3.1): a booking still `processing` after
`republish_after_s`, or cancelled with its release not yet acknowledged, gets its command sent
again. Consumers are idempotent, so a duplicate costs nothing but work.
"""

import contextlib
import logging
from dataclasses import dataclass

from src.service.ticketing.application.bookings import (
    cancelled_command,
    created_command,
    status_update,
)
from src.service.ticketing.application.events import EventCatalog
from src.service.ticketing.application.ports import (
    CommandPublisher,
    PublishFailed,
    StatusNotifier,
    UnitOfWorkFactory,
)
from src.service.ticketing.domain.booking import Booking, BookingStatus

log = logging.getLogger(__name__)
GIVE_UP_REASON = "Booking could not be processed"


@dataclass(frozen=True)
class OutboxRelay:
    """One `sweep()` claims up to `batch` stale bookings and publishes their commands."""

    uow: UnitOfWorkFactory
    catalog: EventCatalog
    publisher: CommandPublisher
    notifier: StatusNotifier
    republish_after_s: float = 10.0
    max_attempts: int = 10
    batch: int = 500

    async def sweep(self) -> int:
        """Returns how many bookings were claimed. Raises `PublishFailed` when the broker is
        down (the claimed rows are simply tried again on a later sweep)."""
        async with self.uow() as uow:
            stale = await uow.bookings.claim_stale(self.republish_after_s, self.batch)
        for booking in stale:
            await self._relay(booking)
        if stale:
            log.info("outbox_swept count=%d", len(stale))
        return len(stale)

    async def _relay(self, booking: Booking) -> None:
        if booking.status is BookingStatus.CANCELLED:
            await self.publisher.publish(cancelled_command(booking))
            async with self.uow() as uow:
                await uow.bookings.release_published(booking.id)
        elif booking.publish_attempts > self.max_attempts:
            await self._give_up(booking)
        else:
            event = await self.catalog.layout(booking.event_id)
            await self.publisher.publish(created_command(booking, event))

    async def _give_up(self, booking: Booking) -> None:
        async with self.uow() as uow:
            failed = await uow.bookings.fail(booking.id, GIVE_UP_REASON)
        if not failed:
            return
        booking.status, booking.failure_reason = BookingStatus.FAILED, GIVE_UP_REASON
        log.error("booking_given_up booking_id=%s attempts=%d", booking.id,
                  booking.publish_attempts)
        await self.notifier.booking_status(status_update(booking))
        with contextlib.suppress(PublishFailed):  # free what a late allocation may hold
            await self.publisher.publish(cancelled_command(booking))
