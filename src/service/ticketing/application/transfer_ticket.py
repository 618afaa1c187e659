"""Use case: the holder transfers a ticket to another buyer (spec/tickets.md, rule 12)."""

from dataclasses import dataclass

from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.application.ticket_access import held_ticket
from src.service.ticketing.application.ticket_views import TicketView
from src.service.ticketing.domain.issued_ticket import check_can_transfer, new_code
from src.service.ticketing.domain.user import Principal


@dataclass(frozen=True)
class TransferTicket:
    """The old ticket becomes `transferred` (its code is refused at the door from then on) and
    the recipient gets a new `valid` ticket for the same seat with a new code, in one
    transaction; the old one stays as history."""

    uow: UnitOfWorkFactory

    async def __call__(self, principal: Principal, ticket_id: int, to_email: str) -> TicketView:
        """The old ticket, now transferred. Raises `NotFound`, `Forbidden` (the event's seller),
        `InvalidRequest` (not valid, or no such buyer, or the holder themself)."""
        view = await held_ticket(self.uow, principal, ticket_id,
                                 "Only the holder of this ticket can transfer it")
        async with self.uow() as uow:
            found = await uow.users.by_email(to_email.strip().lower())
            recipient = check_can_transfer(view.ticket, found)
            new_id = await uow.issued_tickets.transfer(view.ticket, recipient.id, new_code())
            old = await uow.issued_tickets.get(ticket_id)
        if new_id is None:  # its status changed between the read and the write
            return await self(principal, ticket_id, to_email)
        assert old is not None, "the ticket was just written"
        return old
