"""Use case: what a buyer who just opened the booking stream needs to hear about
(spec/booking.md, "Live updates")."""

from dataclasses import dataclass
from datetime import timedelta

from src.service.ticketing.application.ports import Clock, UnitOfWorkFactory
from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.user import Principal


@dataclass(frozen=True)
class RecentBookings:
    """The caller's bookings on one event that are open or settled within the last
    `recent_s` seconds, oldest first; one past its payment deadline as `expired`
    (spec/booking.md, rule 6)."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def __call__(self, principal: Principal, event_id: int, recent_s: float) -> list[Booking]:
        """The bookings, oldest first."""
        since = self.clock.now() - timedelta(seconds=recent_s)
        async with self.uow() as uow:
            found = await uow.bookings.on_event(principal.user_id, event_id, since)
        now = self.clock.now()
        return [b.as_of(now) for b in found]
