"""Use case: the scan log of an event, for its door (spec/tickets.md, rule 11)."""

from dataclasses import dataclass

from src.service.ticketing.application.door_access import door_event
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.application.ticket_views import Page
from src.service.ticketing.domain.check_in import ScanRecord
from src.service.ticketing.domain.paging import check_page
from src.service.ticketing.domain.user import Principal


@dataclass(frozen=True)
class ListScans:
    """Every scan attempt of the event, admitted or refused, newest first; for the seller and
    door staff."""

    uow: UnitOfWorkFactory
    layouts: EventLayouts

    async def __call__(
        self, principal: Principal, event_id: int, limit: int, offset: int
    ) -> Page[ScanRecord]:
        """One page with the total. Raises `NotFound`, `Forbidden`, `InvalidRequest`."""
        await door_event(self.uow, self.layouts, principal, event_id)
        check_page(limit, offset)
        async with self.uow() as uow:
            return await uow.door.scans(event_id, limit, offset)
