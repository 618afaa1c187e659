"""Use case: a buyer's bookings, or every booking on a seller's events (spec/booking.md,
rule 7)."""

from dataclasses import dataclass

from src.service.lifecycle import EXPIRE, BookingStatus
from src.service.ticketing.application.ports import Clock, UnitOfWorkFactory
from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.user import Principal, Role


@dataclass(frozen=True)
class ListBookings:
    """Newest first, optionally of one status. A booking past its payment deadline is listed
    (and filtered) as `expired` before the sweeper writes it (spec/booking.md, rule 6)."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def __call__(self, principal: Principal, status: BookingStatus | None) -> list[Booking]:
        """The bookings the caller may see."""
        is_buyer = principal.role is Role.BUYER
        # Stored `pending_payment` may read as `expired`: ask for both, filter what is seen.
        asked: tuple[BookingStatus, ...] = (
            () if status is None else (status, *EXPIRE.sources) if status is EXPIRE.target
            else (status,))
        async with self.uow() as uow:
            found = await uow.bookings.find(
                buyer_id=principal.user_id if is_buyer else None,
                seller_id=None if is_buyer else principal.user_id,
                statuses=asked,
            )
        now = self.clock.now()
        seen = [b.as_of(now) for b in found]
        return seen if status is None else [b for b in seen if b.status is status]
