"""Use case: the holder refunds one ticket (spec/tickets.md, rules 14–15)."""

from dataclasses import dataclass

from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.application.refunding import Refunder
from src.service.ticketing.application.ticket_access import held_ticket
from src.service.ticketing.application.ticket_ports import RefundLost
from src.service.ticketing.application.ticket_views import TicketRefund
from src.service.ticketing.domain.refund import check_can_refund
from src.service.ticketing.domain.user import Principal


@dataclass(frozen=True)
class RefundTicket:
    """A valid ticket its booking's buyer still holds is refunded by the event's policy: the
    ticket becomes `refunded`, the seat goes back on sale, the amount is paid back."""

    uow: UnitOfWorkFactory
    refunder: Refunder

    async def __call__(self, principal: Principal, ticket_id: int) -> TicketRefund:
        """The refunded ticket and its refund. Raises `NotFound`, `Forbidden` (the event's
        seller), `InvalidRequest` (not valid, received by transfer, or the policy refuses)."""
        view = await held_ticket(self.uow, principal, ticket_id,
                                 "Only the holder of this ticket can refund it")
        async with self.uow() as uow:
            booking = await uow.bookings.get(view.ticket.booking_id)
        assert booking is not None, "a ticket's booking exists"
        check_can_refund(view.ticket, booking.buyer_id)
        try:
            outcome = await self.refunder(booking, [view.ticket])
        except RefundLost:  # its status changed between the read and the write
            return await self(principal, ticket_id)
        async with self.uow() as uow:
            fresh = await uow.issued_tickets.get(ticket_id)
        assert fresh is not None, "the ticket was just refunded"
        return TicketRefund(fresh, outcome.refunds[0])
