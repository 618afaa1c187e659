"""The event stream's frames (spec/tickets.md, rule 11; spec/booking.md, "Live updates"): the
current event first, then per batch of the fan-out (src/platform/fanout.py) each subsection's
latest counts as `status_update` and the door's counts as `attendance`, encoded once."""

import json
from contextlib import AsyncExitStack

from src.platform.fanout import Batch
from src.service.contract import AttendanceUpdate, SubsectionState, encode, event_state_key
from src.service.ticketing.entrypoints.schemas import EventOut
from src.service.ticketing.entrypoints.sse import _event_stream, event_frames
from test.ticket_fakes import TicketWorld


def batch(*raws: bytes) -> Batch:
    return Batch(tuple((event_state_key(raw), raw) for raw in raws))


async def delivered(*batches: Batch):
    for b in batches:
        yield b


def parse(chunk: bytes) -> list[tuple[str, dict]]:
    """(event name, data) of each SSE frame of `chunk`."""
    frames = []
    for block in chunk.decode().split("\r\n\r\n")[:-1]:
        fields = dict(line.split(": ", 1) for line in block.split("\r\n"))
        frames.append((fields["event"], json.loads(fields["data"])))
    return frames


async def test_seat_counts_are_status_updates_and_door_counts_attendance():
    world = TicketWorld()
    event_id = await world.event()
    initial = EventOut.of(await world.service.get_event(event_id))
    seats = SubsectionState(event_id=event_id, section="A", subsection=1, available=9,
                            reserved=1, sold=0)
    door = AttendanceUpdate(event_id=event_id, checked_in=3, sold=10)
    frames = [f async for f in _event_stream(
        AsyncExitStack(), delivered(batch(encode(seats)), batch(encode(door))), initial)]
    assert frames[0]["event"] == "initial_status"
    assert parse(frames[1]) == [("status_update", seats.model_dump())]
    assert parse(frames[2]) == [("attendance", door.model_dump())]


def test_a_batch_is_one_chunk_of_frames_in_its_order():
    a = SubsectionState(event_id=1, section="A", subsection=1, available=1, reserved=0, sold=0)
    b = SubsectionState(event_id=1, section="B", subsection=2, available=0, reserved=1, sold=0)
    door = AttendanceUpdate(event_id=1, checked_in=1, sold=2)
    chunk = event_frames(batch(encode(a), encode(door), encode(b)).items)
    assert parse(chunk) == [("status_update", a.model_dump()), ("attendance", door.model_dump()),
                            ("status_update", b.model_dump())]


def test_a_message_with_a_line_break_cannot_end_the_data_line():
    raw = b'{"event_id": 1, "section": "A",\n"subsection": 1, "available": 1,\r\n' \
          b'"reserved": 0, "sold": 0}'
    chunk = event_frames(batch(raw).items)
    assert chunk.count(b"\n") == 3  # the data line's end and the frame's blank line
    assert parse(chunk)[0][1]["available"] == 1


def test_the_key_of_a_message_is_the_part_of_the_state_it_gives():
    seats = SubsectionState(event_id=1, section="A", subsection=3, available=1, reserved=0,
                            sold=0)
    assert event_state_key(encode(seats)) == ("subsection", "A", "3")
    assert event_state_key(encode(AttendanceUpdate(event_id=1, checked_in=0, sold=0))) == (
        "attendance",)
    for junk in (b"not json", b"[1]", b'{"event_id": 1}'):
        try:
            event_state_key(junk)
        except ValueError:
            continue
        raise AssertionError(f"{junk!r} has a key")
