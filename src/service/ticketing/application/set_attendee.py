"""Use case: the holder names a ticket's attendee (spec/tickets.md, rule 7)."""

from dataclasses import dataclass

from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.application.ticket_access import held_ticket
from src.service.ticketing.application.ticket_views import TicketView
from src.service.ticketing.domain.issued_ticket import check_can_change_attendee, parse_attendee
from src.service.ticketing.domain.user import Principal


@dataclass(frozen=True)
class SetAttendee:
    """Store `{name, email}` on a `valid` ticket, as a compare-and-set on its status."""

    uow: UnitOfWorkFactory

    async def __call__(
        self, principal: Principal, ticket_id: int, name: str, email: str
    ) -> TicketView:
        """The updated ticket. Raises `NotFound`, `Forbidden` (not the holder),
        `InvalidRequest` (bad name or e-mail, or the ticket is no longer valid)."""
        view = await held_ticket(self.uow, principal, ticket_id,
                                 "Only the holder of this ticket can change it")
        check_can_change_attendee(view.ticket.status)
        attendee = parse_attendee(name, email)
        async with self.uow() as uow:
            stored = await uow.issued_tickets.set_attendee(ticket_id, attendee)
            fresh = await uow.issued_tickets.get(ticket_id)
        if not stored:  # its status changed between the read and the write
            return await self(principal, ticket_id, name, email)
        assert fresh is not None, "the ticket was just written"
        return fresh
