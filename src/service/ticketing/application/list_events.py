"""Use case: the public event list, filtered and paginated (spec/tickets.md, rule 17)."""

from dataclasses import dataclass

from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.application.ticket_views import Page
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.event import Event, EventQuery
from src.service.ticketing.domain.paging import check_page

MAX_TEXT = 100


def checked(query: EventQuery) -> EventQuery:
    """The query with its text trimmed (empty: no text filter); raises `InvalidRequest` for a
    bad page, a date range that ends before it starts, or a text too long or with NUL."""
    check_page(query.limit, query.offset)
    if query.starts_from and query.starts_until and query.starts_until < query.starts_from:
        raise InvalidRequest("starts_until must not be before starts_from")
    text = (query.text or "").strip()
    if len(text) > MAX_TEXT:
        raise InvalidRequest(f"q must be at most {MAX_TEXT} characters")
    if "\x00" in text:
        raise InvalidRequest("q must not contain NUL characters")
    return EventQuery(query.seller_id, query.status, query.starts_from, query.starts_until,
                      text or None, query.limit, query.offset)


@dataclass(frozen=True)
class ListEvents:
    """One page of events, with the total that match."""

    uow: UnitOfWorkFactory

    async def __call__(self, query: EventQuery) -> Page[Event]:
        """The page (events without per-subsection stats). Raises `InvalidRequest`."""
        query = checked(query)
        async with self.uow() as uow:
            return await uow.events.find(query)
