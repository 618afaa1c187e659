"""Object-level authorization of bookings (spec/booking.md, rule 7)."""

from uuid import UUID

from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.errors import Forbidden, NotFound
from src.service.ticketing.domain.user import Principal, Role


async def may_view(principal: Principal, booking: Booking, layouts: EventLayouts) -> bool:
    """A booking is visible to its buyer and to the seller of its event."""
    if principal.role is Role.BUYER:
        return booking.buyer_id == principal.user_id
    return (await layouts(booking.event_id)).seller_id == principal.user_id


def check_owner(booking: Booking | None, principal: Principal, verb: str) -> Booking:
    """`booking` if `principal` is its buyer; raises `NotFound` (no booking), or `Forbidden`
    naming `verb` ("cancel", "pay")."""
    if booking is None:
        raise NotFound("Booking not found")
    if booking.buyer_id != principal.user_id:
        raise Forbidden(f"Only the buyer of this booking can {verb} it")
    return booking


async def owned_booking(
    uow: UnitOfWorkFactory, principal: Principal, booking_id: UUID, verb: str
) -> Booking:
    """The booking if `principal` is its buyer; raises `NotFound`, or `Forbidden` naming
    `verb` ("cancel", "pay")."""
    async with uow() as unit:
        booking = await unit.bookings.get(booking_id)
    return check_owner(booking, principal, verb)
