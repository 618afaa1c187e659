"""Use case: the outbox relay re-publishes commands the broker may never have received.

The booking row is the outbox entry (spec/architecture.md, guarantee 1): a booking still
`processing` after `republish_after_s`, or cancelled with its release not yet acknowledged,
gets its command sent again. Consumers are idempotent, so a duplicate costs only work.
"""

import contextlib
import logging
from dataclasses import dataclass, replace

from src.service.lifecycle import GIVE_UP, BookingStatus
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.messages import (
    cancelled_command,
    created_command,
    status_update,
)
from src.service.ticketing.application.ports import (
    CommandPublisher,
    PublishFailed,
    StatusNotifier,
    UnitOfWorkFactory,
)
from src.service.ticketing.application.views import OutboxEntry

log = logging.getLogger(__name__)
GIVE_UP_REASON = "Booking could not be processed"


@dataclass(frozen=True)
class RelayOutbox:
    """One call claims up to `batch` stale bookings and publishes their commands; a booking
    published more than `max_attempts` times is given up (failed, seats released)."""

    uow: UnitOfWorkFactory
    layouts: EventLayouts
    publisher: CommandPublisher
    notifier: StatusNotifier
    republish_after_s: float = 10.0
    max_attempts: int = 10
    batch: int = 500

    async def __call__(self) -> int:
        """How many bookings were claimed. Raises `PublishFailed` when the broker is down
        (the claimed rows are tried again on a later call)."""
        async with self.uow() as uow:
            stale = await uow.bookings.claim_stale(self.republish_after_s, self.batch)
        for entry in stale:
            await self._relay(entry)
        if stale:
            log.info("outbox_swept count=%d", len(stale))
        return len(stale)

    async def _relay(self, entry: OutboxEntry) -> None:
        booking = entry.booking
        if booking.status is BookingStatus.CANCELLED:
            await self.publisher.publish(cancelled_command(booking))
            async with self.uow() as uow:
                await uow.bookings.release_published(booking.id)
        elif entry.attempts > self.max_attempts:
            await self._give_up(entry)
        else:
            event = await self.layouts(booking.event_id)
            await self.publisher.publish(created_command(booking, event))

    async def _give_up(self, entry: OutboxEntry) -> None:
        async with self.uow() as uow:
            failed = await uow.bookings.give_up(entry.booking.id, GIVE_UP_REASON)
        if not failed:
            return
        booking = replace(entry.booking, status=GIVE_UP.target, failure_reason=GIVE_UP_REASON)
        log.error("booking_given_up booking_id=%s attempts=%d", booking.id, entry.attempts)
        await self.notifier.booking_status(status_update(booking))
        with contextlib.suppress(PublishFailed):  # free what a late allocation may hold
            await self.publisher.publish(cancelled_command(booking))
