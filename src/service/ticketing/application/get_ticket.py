"""Use case: one issued ticket with its event (spec/tickets.md, rule 4)."""

from dataclasses import dataclass

from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.application.ticket_access import as_seen_by, visible_ticket
from src.service.ticketing.application.ticket_views import TicketView
from src.service.ticketing.domain.user import Principal


@dataclass(frozen=True)
class GetTicket:
    """For its holder (with the code) or the seller of its event (without it); anyone else
    gets `NotFound`."""

    uow: UnitOfWorkFactory

    async def __call__(self, principal: Principal, ticket_id: int) -> TicketView:
        """The ticket as the caller may see it; raises `NotFound`."""
        return as_seen_by(principal, await visible_ticket(self.uow, principal, ticket_id))
