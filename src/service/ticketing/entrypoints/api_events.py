"""/api/event: create (seller), list and detail (public), seat list (public)."""

from fastapi import APIRouter

from src.service.ticketing.entrypoints.deps import Caller, Service
from src.service.ticketing.entrypoints.schemas import EventCreate, EventOut, SeatOut
from src.service.ticketing.entrypoints.terms_schemas import TermsIn
from src.service.ticketing.entrypoints.ticket_schemas import EventId

router = APIRouter(prefix="/api/event", tags=["event"])


@router.post("", status_code=201)
async def create_event(body: EventCreate, caller: Caller, service: Service) -> EventOut:
    """A seller creates an event; one ticket per seat is stored and its seats opened."""
    return EventOut.of(await service.create_event(caller, body.to_draft()))


@router.get("")
async def list_events(service: Service, seller_id: int | None = None) -> list[EventOut]:
    """Active events on sale; with `seller_id`, every event of that seller."""
    return [EventOut.of(e) for e in await service.list_events(seller_id)]


@router.get("/{event_id}")
async def get_event(event_id: int, service: Service) -> EventOut:
    """One event with available/reserved/sold per subsection."""
    return EventOut.of(await service.get_event(event_id))


@router.get("/{event_id}/sections/{section}/subsection/{subsection}/seats")
async def list_seats(
    event_id: int, section: str, subsection: int, service: Service
) -> list[SeatOut]:
    """Every seat of one subsection with its status."""
    return [SeatOut.of(t) for t in await service.list_seats(event_id, section, subsection)]


@router.patch("/{event_id}")
async def update_event_terms(
    event_id: EventId, body: TermsIn, caller: Caller, service: Service
) -> EventOut:
    """The seller changes the event's dates or refund settings; fields left out stay."""
    return EventOut.of(await service.tickets.update_terms(caller, event_id, body.to_change()))
