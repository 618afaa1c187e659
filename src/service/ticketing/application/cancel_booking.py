"""Use case: a buyer cancels a booking (spec/booking.md, rule 5)."""

import logging
from dataclasses import dataclass
from uuid import UUID

from src.service.ticketing.application.access import owned_booking
from src.service.ticketing.application.messages import announce, cancelled_command
from src.service.ticketing.application.ports import (
    CommandPublisher,
    PublishFailed,
    StatusNotifier,
    UnitOfWorkFactory,
)
from src.service.ticketing.domain.booking import Booking, check_can_cancel
from src.service.ticketing.domain.user import Principal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CancelBooking:
    """processing|pending_payment → cancelled (compare-and-set), reserved tickets back to
    available, then BookingCancelled on the subsection's key so the reservation service frees
    the bits; an unacknowledged release is re-sent by the outbox relay."""

    uow: UnitOfWorkFactory
    publisher: CommandPublisher
    notifier: StatusNotifier

    async def __call__(self, principal: Principal, booking_id: UUID) -> Booking:
        """The cancelled booking. Raises `NotFound`, `Forbidden`, `InvalidRequest`."""
        booking = await owned_booking(self.uow, principal, booking_id, "cancel")
        transition = check_can_cancel(booking.status)
        async with self.uow() as uow:
            result = await uow.bookings.cancel(booking, transition)
        if result is None:  # its status changed between the read and the write
            return await self(principal, booking_id)
        cancelled, stats = result
        await announce(self.notifier, cancelled, stats)
        try:
            await self.publisher.publish(cancelled_command(cancelled))
        except PublishFailed as e:
            log.warning("release_publish_deferred booking_id=%s error=%r", cancelled.id, e)
            return cancelled
        async with self.uow() as uow:
            await uow.bookings.release_published(cancelled.id)
        return cancelled
