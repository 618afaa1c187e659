"""Use case: a buyer's bookings, or every booking on a seller's events (spec/booking.md,
rule 7)."""

from dataclasses import dataclass

from src.service.lifecycle import BookingStatus
from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.user import Principal, Role


@dataclass(frozen=True)
class ListBookings:
    """Newest first, optionally of one status."""

    uow: UnitOfWorkFactory

    async def __call__(self, principal: Principal, status: BookingStatus | None) -> list[Booking]:
        """The bookings the caller may see."""
        is_buyer = principal.role is Role.BUYER
        async with self.uow() as uow:
            return await uow.bookings.find(
                buyer_id=principal.user_id if is_buyer else None,
                seller_id=None if is_buyer else principal.user_id,
                statuses=(status,) if status else (),
            )
