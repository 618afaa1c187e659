"""The event stream's frames (spec/tickets.md, rule 11; spec/booking.md, "Live updates"): the
current event first, then each published message under its own SSE event name."""

import json
from contextlib import AsyncExitStack

from src.service.contract import AttendanceUpdate, SubsectionState, encode
from src.service.ticketing.entrypoints.schemas import EventOut
from src.service.ticketing.entrypoints.sse import _event_stream
from test.ticket_fakes import TicketWorld


async def published(*messages):
    for m in messages:
        yield encode(m)


async def test_seat_counts_are_status_updates_and_door_counts_attendance():
    world = TicketWorld()
    event_id = await world.event()
    initial = EventOut.of(await world.service.get_event(event_id))
    seats = SubsectionState(event_id=event_id, section="A", subsection=1, available=9,
                            reserved=1, sold=0)
    door = AttendanceUpdate(event_id=event_id, checked_in=3, sold=10)
    frames = [f async for f in _event_stream(AsyncExitStack(), published(seats, door), initial)]
    assert [f["event"] for f in frames] == ["initial_status", "status_update", "attendance"]
    assert json.loads(frames[2]["data"]) == door.model_dump()
    assert json.loads(frames[1]["data"]) == seats.model_dump()
