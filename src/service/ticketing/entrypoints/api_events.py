"""/api/event: create (seller), list and detail (public), seat list (public)."""

from fastapi import APIRouter

from src.service.ticketing.entrypoints.deps import Caller, Service
from src.service.ticketing.entrypoints.inputs import (
    EventIdPath,
    IdQuery,
    SectionPath,
    SubsectionPath,
    documented,
    json_body,
)
from src.service.ticketing.entrypoints.schemas import EventCreate, EventOut, SeatOut

router = APIRouter(prefix="/api/event", tags=["event"])


@router.post("", status_code=201, openapi_extra=documented(EventCreate))
async def create_event(
    caller: Caller, service: Service, body: EventCreate = json_body(EventCreate)
) -> EventOut:
    """A seller creates an event; one ticket per seat is stored and its seats opened."""
    return EventOut.of(await service.create_event(caller, body.to_draft()))


@router.get("")
async def list_events(service: Service, seller_id: IdQuery = None) -> list[EventOut]:
    """Active events on sale; with `seller_id`, every event of that seller."""
    return [EventOut.of(e) for e in await service.list_events(seller_id)]


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
