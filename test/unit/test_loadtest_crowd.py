"""The load tool's crowd of idle SSE clients: how streams are spread, and what the report
counts (opened, refused by status, open at the end, ended early, closed by the server's own
`close` event, messages), with a fake opener and in-memory stream readers (no I/O)."""

import asyncio

from deploy.loadtest.cli import parser
from deploy.loadtest.crowd import Crowd, Plan, per_buyer, plans

UPDATE = b"event: status_update\r\ndata: {}\r\n\r\n"
CLOSE = b"event: close\r\ndata: {}\r\n\r\n"


class FakeOpener:
    """Answers each path with the status the test gave it (default 200) or raises; a 200 gets
    an in-memory reader the test writes to; closing feeds it the end of the stream."""

    def __init__(self, answers: dict[str, int | Exception]):
        self.answers, self.readers, self.closed = answers, {}, []

    async def __call__(self, path: str, token: str | None):
        answer = self.answers.get(path, 200)
        if isinstance(answer, Exception):
            raise answer
        if answer != 200:
            return answer, None, lambda: None
        reader = asyncio.StreamReader()
        self.readers.setdefault(path, []).append(reader)

        def close() -> None:
            self.closed.append(path)
            reader.feed_eof()
        return 200, reader, close


def test_event_streams_go_round_the_events_and_booking_streams_round_the_buyers():
    planned = plans(3, 4, [7, 8], ["t1", "t2", "t3"])
    assert planned == [
        Plan("event", "/api/event/7/sse"), Plan("event", "/api/event/8/sse"),
        Plan("event", "/api/event/7/sse"),
        Plan("booking", "/api/booking/event/7/sse", "t1"),
        Plan("booking", "/api/booking/event/8/sse", "t2"),
        Plan("booking", "/api/booking/event/7/sse", "t3"),
        Plan("booking", "/api/booking/event/8/sse", "t1"),
    ]
    assert (per_buyer(1000, 200), per_buyer(1001, 200), per_buyer(0, 200)) == (5, 6, 0)


async def test_the_crowd_counts_what_became_of_every_stream():
    opener = FakeOpener({"/api/event/2/sse": 429, "/api/event/3/sse": OSError("refused"),
                         "/api/booking/event/9/sse": 503})
    crowd = Crowd(opener)
    await crowd.open([Plan("event", f"/api/event/{n}/sse") for n in (1, 1, 1, 2, 3)]
                     + [Plan("booking", "/api/booking/event/1/sse", "t")] * 2
                     + [Plan("booking", "/api/booking/event/9/sse", "t")])
    events, bookings = opener.readers["/api/event/1/sse"], opener.readers[
        "/api/booking/event/1/sse"]
    for reader in events + bookings:
        reader.feed_data(UPDATE)
    events[0].feed_data(UPDATE)
    events[0].feed_eof()  # broken off by the server, no `close`
    bookings[0].feed_data(CLOSE[:8])
    await asyncio.sleep(0.01)
    bookings[0].feed_data(CLOSE[8:])  # the close event split over two reads
    bookings[0].feed_eof()
    await asyncio.sleep(0.01)
    facts = await crowd.finish()
    assert facts["sse_event_streams"] == 5 and facts["sse_booking_streams"] == 3
    assert {k: v for k, v in facts.items() if k.startswith("sse_event")} == {
        "sse_event_streams": 5, "sse_event_streams_opened": 3, "sse_event_streams_refused": 2,
        "sse_event_streams_refused_by_status": {"0": 1, "429": 1},
        "sse_event_streams_open_at_end": 2, "sse_event_streams_ended_early": 1,
        "sse_event_streams_closed_by_server": 0, "sse_event_messages": 4,
    }
    assert {k: v for k, v in facts.items() if k.startswith("sse_booking")} == {
        "sse_booking_streams": 3, "sse_booking_streams_opened": 2,
        "sse_booking_streams_refused": 1, "sse_booking_streams_refused_by_status": {"503": 1},
        "sse_booking_streams_open_at_end": 1, "sse_booking_streams_ended_early": 1,
        "sse_booking_streams_closed_by_server": 1, "sse_booking_messages": 3,
    }
    assert sorted(opener.closed) == sorted(["/api/event/1/sse"] * 3
                                           + ["/api/booking/event/1/sse"] * 2)
    assert crowd.tallies["event"].ended_early == 1  # closing at the end is not "early"


def test_sustained_takes_the_crowd_options():
    args = parser().parse_args(["sustained", "--sse-event-streams", "300",
                                "--sse-booking-streams", "100"])
    assert (args.sse_event_streams, args.sse_booking_streams) == (300, 100)
    assert parser().parse_args(["sustained"]).sse_event_streams == 0
