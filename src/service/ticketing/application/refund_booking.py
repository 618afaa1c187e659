"""Use case: the buyer refunds every ticket of a booking they still hold (spec/tickets.md,
rules 14–15)."""

from dataclasses import dataclass
from uuid import UUID

from src.service.lifecycle import IssuedTicketStatus
from src.service.ticketing.application.access import owned_booking
from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.application.refunding import Refunder
from src.service.ticketing.application.ticket_ports import RefundLost
from src.service.ticketing.application.ticket_views import BookingRefund
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.refund import check_can_refund_booking
from src.service.ticketing.domain.user import Principal


@dataclass(frozen=True)
class RefundBooking:
    """Of a completed booking, the valid tickets its buyer still holds are refunded together
    (one transaction, one release); tickets transferred away or checked in stay. The booking
    becomes `refunded` when none of its tickets still stands."""

    uow: UnitOfWorkFactory
    refunder: Refunder

    async def __call__(self, principal: Principal, booking_id: UUID) -> BookingRefund:
        """The booking as it is now and the refunds. Raises `NotFound`, `Forbidden` (not its
        buyer), `InvalidRequest` (not completed, nothing refundable, or the policy refuses)."""
        booking = await owned_booking(self.uow, principal, booking_id, "refund")
        check_can_refund_booking(booking.status)
        async with self.uow() as uow:
            tickets = await uow.issued_tickets.of_booking(booking_id)
        mine = [t for t in tickets
                if t.status is IssuedTicketStatus.VALID and t.holder_id == booking.buyer_id]
        if not mine:
            raise InvalidRequest("No ticket of this booking can be refunded")
        try:
            outcome = await self.refunder(booking, mine)
        except RefundLost:  # a ticket changed between the read and the write
            return await self(principal, booking_id)
        async with self.uow() as uow:
            fresh = await uow.bookings.get(booking_id)
        assert fresh is not None, "the booking was just read"
        return BookingRefund(fresh, outcome.refunds)
