"""Object-level authorization of issued tickets (spec/tickets.md, rule 4)."""

from dataclasses import replace

from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.application.ticket_views import TicketView
from src.service.ticketing.domain.errors import Forbidden, NotFound
from src.service.ticketing.domain.user import Principal

NOT_FOUND = "Ticket not found"


def may_see(principal: Principal, view: TicketView) -> bool:
    """A ticket is visible to its holder and to the seller of its event."""
    return principal.user_id in (view.ticket.holder_id, view.event.seller_id)


def as_seen_by(principal: Principal, view: TicketView) -> TicketView:
    """The view as `principal` may see it: without its code unless they hold the ticket."""
    if view.ticket.holder_id == principal.user_id:
        return view
    return replace(view, ticket=replace(view.ticket, code=None))


async def visible_ticket(
    uow: UnitOfWorkFactory, principal: Principal, ticket_id: int
) -> TicketView:
    """The ticket (with its code) if `principal` may see it; raises `NotFound` otherwise, so an
    id reveals nothing."""
    async with uow() as unit:
        view = await unit.issued_tickets.get(ticket_id)
    if view is None or not may_see(principal, view):
        raise NotFound(NOT_FOUND)
    return view


async def held_ticket(
    uow: UnitOfWorkFactory, principal: Principal, ticket_id: int, refusal: str
) -> TicketView:
    """The ticket if `principal` holds it; raises `NotFound` for one they may not see and
    `Forbidden(refusal)` for one they see without holding it (the event's seller)."""
    view = await visible_ticket(uow, principal, ticket_id)
    if view.ticket.holder_id != principal.user_id:
        raise Forbidden(refusal)
    return view
