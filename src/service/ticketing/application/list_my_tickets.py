"""Use case: the caller's tickets, filtered and paginated (spec/tickets.md, rule 5)."""

from dataclasses import dataclass

from src.service.lifecycle import IssuedTicketStatus
from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.application.ticket_views import Page, TicketView
from src.service.ticketing.domain.paging import check_page
from src.service.ticketing.domain.user import Principal


@dataclass(frozen=True)
class ListMyTickets:
    """Tickets held by the caller, newest first; `event_id` and `status` narrow the list."""

    uow: UnitOfWorkFactory

    async def __call__(
        self, principal: Principal, event_id: int | None, status: IssuedTicketStatus | None,
        limit: int, offset: int,
    ) -> Page[TicketView]:
        """One page with the total; raises `InvalidRequest` for a bad `limit` or `offset`."""
        check_page(limit, offset)
        async with self.uow() as uow:
            return await uow.issued_tickets.held_by(
                principal.user_id, event_id, status, limit, offset
            )
