"""Use case: a buyer pays a booking (mock payment; spec/booking.md, rule 5)."""

from dataclasses import dataclass
from uuid import UUID

from src.service.ticketing.application.access import owned_booking
from src.service.ticketing.application.messages import announce
from src.service.ticketing.application.ports import StatusNotifier, UnitOfWorkFactory
from src.service.ticketing.domain.booking import Booking, check_can_pay
from src.service.ticketing.domain.user import Principal


@dataclass(frozen=True)
class PayBooking:
    """pending_payment → completed (compare-and-set), tickets → sold with their codes."""

    uow: UnitOfWorkFactory
    notifier: StatusNotifier

    async def __call__(self, principal: Principal, booking_id: UUID) -> Booking:
        """The paid booking. Raises `NotFound`, `Forbidden`, `InvalidRequest`."""
        booking = await owned_booking(self.uow, principal, booking_id, "pay")
        check_can_pay(booking.status)
        async with self.uow() as uow:
            result = await uow.bookings.pay(booking)
        if result is None:  # its status changed between the read and the write
            return await self(principal, booking_id)
        paid, stats = result
        await announce(self.notifier, paid, stats)
        return paid
