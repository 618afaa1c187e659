"""/api/event: create (seller), list and detail (public), seat list (public)."""

from fastapi import APIRouter

from src.service.ticketing.entrypoints.deps import Caller, Service
from src.service.ticketing.entrypoints.schemas import EventCreate, EventOut, SeatOut

router = APIRouter(prefix="/api/event", tags=["event"])


@router.post("", status_code=201)
async def create_event(body: EventCreate, caller: Caller, service: Service) -> EventOut:
    """A seller creates an event; one ticket per seat is stored and its seats opened."""
    event = await service.catalog.create(
        caller, body.name, body.description, body.venue_name, body.seating_config,
        body.is_active,
    )
    return EventOut.of(event)


@router.get("")
async def list_events(service: Service, seller_id: int | None = None) -> list[EventOut]:
    """Active events on sale; with `seller_id`, every event of that seller."""
    return [EventOut.of(e) for e in await service.catalog.list(seller_id)]


@router.get("/{event_id}")
async def get_event(event_id: int, service: Service) -> EventOut:
    """One event with available/reserved/sold per subsection."""
    return EventOut.of(await service.catalog.get(event_id))


@router.get("/{event_id}/sections/{section}/subsection/{subsection}/seats")
async def list_seats(
    event_id: int, section: str, subsection: int, service: Service
) -> list[SeatOut]:
    """Every seat of one subsection with its status."""
    return [SeatOut(**s) for s in await service.catalog.seats(event_id, section, subsection)]
