"""Use case: one booking with its event, buyer and tickets (spec/booking.md, rule 7)."""

from dataclasses import dataclass, replace
from uuid import UUID

from src.service.ticketing.application.access import may_view
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.ports import Clock, UnitOfWorkFactory
from src.service.ticketing.application.views import BookingView
from src.service.ticketing.domain.errors import NotFound
from src.service.ticketing.domain.user import Principal


@dataclass(frozen=True)
class GetBooking:
    """For its buyer or the event's seller; anyone else gets `NotFound`, so ids of other
    people's bookings reveal nothing. A booking past its payment deadline reads as `expired`
    before the sweeper writes it (spec/booking.md, rule 6)."""

    uow: UnitOfWorkFactory
    layouts: EventLayouts
    clock: Clock

    async def __call__(self, principal: Principal, booking_id: UUID) -> BookingView:
        """The booking's view; raises `NotFound`."""
        async with self.uow() as uow:
            view = await uow.bookings.view(booking_id)
        if view is None or not await may_view(principal, view.booking, self.layouts):
            raise NotFound("Booking not found")
        return replace(view, booking=view.booking.as_of(self.clock.now()))
