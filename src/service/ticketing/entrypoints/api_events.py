"""/api/event: create (seller), list and detail (public), seat list (public)."""

from typing import Annotated

from fastapi import APIRouter, Query

from src.service.lifecycle import EventStatus
from src.service.ticketing.application.list_events import MAX_TEXT
from src.service.ticketing.domain.event import EventQuery
from src.service.ticketing.domain.paging import DEFAULT_LIMIT
from src.service.ticketing.entrypoints.deps import Caller, Service
from src.service.ticketing.entrypoints.inputs import (
    EventIdPath,
    IdQuery,
    LimitQuery,
    OffsetQuery,
    SectionPath,
    SubsectionPath,
    Timestamp,
    documented,
    json_body,
)
from src.service.ticketing.entrypoints.schemas import (
    EventCancelOut,
    EventCreate,
    EventOut,
    EventPageOut,
    EventStatusIn,
    SeatOut,
)
from src.service.ticketing.entrypoints.terms_schemas import EventPatch

router = APIRouter(prefix="/api/event", tags=["event"])


@router.post("", status_code=201, openapi_extra=documented(EventCreate))
async def create_event(
    caller: Caller, service: Service, body: EventCreate = json_body(EventCreate)
) -> EventOut:
    """A seller creates an event; one ticket per seat is stored and its seats opened."""
    return EventOut.of(await service.create_event(caller, body.to_draft()))


@router.get("")
async def list_events(
    service: Service, seller_id: IdQuery = None, status: EventStatus | None = None,
    starts_from: Timestamp | None = None, starts_until: Timestamp | None = None,
    q: Annotated[str | None, Query(max_length=MAX_TEXT)] = None,
    limit: LimitQuery = DEFAULT_LIMIT, offset: OffsetQuery = 0,
) -> EventPageOut:
    """Active events on sale (or in `status`); with `seller_id`, that seller's events. Filters:
    start dates (ISO 8601 with offset), text `q`; ordered by `starts_at`, one page with
    `total` (spec/tickets.md, rule 17)."""
    query = EventQuery(seller_id, status, starts_from, starts_until, q, limit, offset)
    return EventPageOut.of(await service.list_events(query))


@router.get("/{event_id}")
async def get_event(event_id: EventIdPath, service: Service) -> EventOut:
    """One event with available/reserved/sold per subsection."""
    return EventOut.of(await service.get_event(event_id))


@router.get("/{event_id}/sections/{section}/subsection/{subsection}/seats")
async def list_seats(
    event_id: EventIdPath, section: SectionPath, subsection: SubsectionPath, service: Service
) -> list[SeatOut]:
    """Every seat of one subsection with its status."""
    return [SeatOut.of(t) for t in await service.list_seats(event_id, section, subsection)]


@router.post("/{event_id}/status", openapi_extra=documented(EventStatusIn))
async def change_event_status(
    event_id: EventIdPath, caller: Caller, service: Service,
    body: EventStatusIn = json_body(EventStatusIn),
) -> EventOut:
    """The seller publishes (`on_sale`), closes (`closed`) or ends (`ended`) the event
    (spec/tickets.md, rule 18); a cancel has its own route."""
    return EventOut.of(await service.tickets.change_status(caller, event_id, body.status))


@router.post("/{event_id}/cancel")
async def cancel_event(event_id: EventIdPath, caller: Caller, service: Service) -> EventCancelOut:
    """The seller cancels the event: every booking cancelled or refunded in full, every seat
    released (spec/tickets.md, rule 19). Repeating it finishes what is left."""
    return EventCancelOut.of_cancellation(await service.tickets.cancel_event(caller, event_id))


@router.patch("/{event_id}", openapi_extra=documented(EventPatch))
async def update_event(
    event_id: EventIdPath, caller: Caller, service: Service,
    body: EventPatch = json_body(EventPatch),
) -> EventOut:
    """The seller changes the event: name, description, venue, dates, refund settings, sale
    window, per-buyer limits, section prices, and the layout before the first booking; each
    checked as on creation, fields left out stay (spec/booking.md, rule 13)."""
    return EventOut.of(await service.tickets.update_event(caller, event_id, body.to_change()))
