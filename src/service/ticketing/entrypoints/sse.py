"""Server-Sent Event streams: one buyer's bookings on an event, and an event's seat counts.

Both subscribe to pub/sub first and only then read the current state, so an update published
while the client was connecting is not lost (spec/architecture.md, guarantee 6).
"""

import json
from collections.abc import AsyncIterator
from uuid import UUID

from fastapi import APIRouter
from sse_starlette import EventSourceResponse

from src.service.contract import BookingStatusUpdate, booking_status_channel, event_state_channel
from src.service.lifecycle import FINAL
from src.service.ticketing.application.messages import status_update
from src.service.ticketing.bootstrap import Ticketing
from src.service.ticketing.domain.user import Principal
from src.service.ticketing.entrypoints.deps import Caller, Service
from src.service.ticketing.entrypoints.inputs import EventIdPath
from src.service.ticketing.entrypoints.schemas import EventOut

router = APIRouter(tags=["sse"])


@router.get("/api/booking/event/{event_id}/sse")
async def booking_updates(
    event_id: EventIdPath, caller: Caller, service: Service, booking_id: UUID | None = None
) -> EventSourceResponse:
    """`status_update` for the caller's open bookings on the event (or just `booking_id`),
    then each change; `close` once every watched booking reached a final status."""
    await service.layouts(event_id)  # 404 for an unknown event, as the event stream does
    if booking_id is not None:
        await service.get_booking(caller, booking_id)  # 404 unless the caller may see it
    stream = _booking_stream(service, caller, event_id, booking_id)
    return EventSourceResponse(stream, ping=service.settings.sse_ping_s)


async def _booking_stream(
    service: Ticketing, caller: Principal, event_id: int, booking_id: UUID | None
) -> AsyncIterator[dict]:
    channel = booking_status_channel(caller.user_id, event_id)
    async with service.feed.subscribe(channel) as messages:
        if booking_id is not None:
            current = [(await service.get_booking(caller, booking_id)).booking]
        else:
            current = await service.recent_bookings(caller, event_id,
                                                    service.settings.sse_recent_s)
        watching = {b.id for b in current if b.status not in FINAL}
        for booking in current:
            yield {"event": "status_update", "data": status_update(booking).model_dump_json()}
        if current and not watching:
            yield {"event": "close", "data": "{}"}
            return
        async for raw in messages:
            update = BookingStatusUpdate.model_validate_json(raw)
            if booking_id is not None and update.booking_id != booking_id:
                continue
            yield {"event": "status_update", "data": update.model_dump_json()}
            if update.status in FINAL:
                watching.discard(update.booking_id)
                if not watching:
                    yield {"event": "close", "data": "{}"}
                    return
            else:
                watching.add(update.booking_id)


@router.get("/api/event/{event_id}/sse")
async def event_updates(event_id: EventIdPath, service: Service) -> EventSourceResponse:
    """`initial_status` (the event with its subsection counts), then a `status_update` each
    time a subsection's counts change."""
    await service.layouts(event_id)  # 404 for an unknown event
    return EventSourceResponse(_event_stream(service, event_id),
                               ping=service.settings.sse_ping_s)


async def _event_stream(service: Ticketing, event_id: int) -> AsyncIterator[dict]:
    async with service.feed.subscribe(event_state_channel(event_id)) as messages:
        event = await service.get_event(event_id)
        yield {"event": "initial_status", "data": EventOut.of(event).model_dump_json()}
        async for raw in messages:
            yield {"event": "status_update", "data": json.dumps(json.loads(raw))}
