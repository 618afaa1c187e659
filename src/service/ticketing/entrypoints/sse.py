"""Server-Sent Event streams: one buyer's bookings on an event, and an event's seat counts.

Both subscribe to pub/sub first (through the process's one pub/sub connection,
`adapters/pubsub_hub.py`; the event streams of one event through one subscription whose
messages are merged into a batch per interval and encoded once for all of them,
`platform/fanout.py`) and only then read the current state, so an update published while
the client was connecting is not lost (spec/architecture.md, guarantee 6). Both steps run
before the answer starts, so a backing service that is down is a 503 (or a missing booking a
404), not a stream that breaks at once; a pub/sub outage later, or a client so slow that its
queue filled up, just ends the stream (the hub logs why).
"""

import json
import logging
from collections.abc import AsyncIterator, Hashable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import TypeVar
from uuid import UUID

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse
from starlette.background import BackgroundTask

from src.platform.fanout import Batch
from src.service.contract import (
    BookingStatusUpdate,
    booking_status_channel,
    event_state_channel,
)
from src.service.lifecycle import FINAL
from src.service.ticketing.application.messages import status_update
from src.service.ticketing.application.ports import Unavailable
from src.service.ticketing.bootstrap import Ticketing
from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.entrypoints.credentials import client_address
from src.service.ticketing.entrypoints.deps import Caller, Service
from src.service.ticketing.entrypoints.inputs import EventIdPath
from src.service.ticketing.entrypoints.schemas import EventOut

router = APIRouter(tags=["sse"])
T = TypeVar("T")
log = logging.getLogger(__name__)


async def _subscribed(
    service: Ticketing, subscription: AbstractAsyncContextManager[T], user_id: int | None,
    request: Request,
) -> tuple[AsyncExitStack, T]:
    """A stream slot (spec/security.md, "Stream caps"), then `subscription` entered (confirmed
    by the server), and the stack that ends both; raises `TooManyRequests`, `Overloaded`,
    `Unavailable` (the slot freed again)."""
    stack = AsyncExitStack()
    stack.callback(service.streams.open(user_id, client_address(request.scope)))
    try:
        return stack, await stack.enter_async_context(subscription)
    except BaseException:
        await stack.aclose()
        raise


def _response(
    service: Ticketing, stream: AsyncIterator[dict] | AsyncIterator[dict | bytes],
    stack: AsyncExitStack,
) -> EventSourceResponse:
    # The stream closes the subscription when it ends; the background task covers a client
    # that left before the stream ever started (closing twice is harmless).
    return EventSourceResponse(stream, ping=service.settings.sse_ping_s,
                               background=BackgroundTask(stack.aclose))


@router.get("/api/booking/event/{event_id}/sse")
async def booking_updates(
    event_id: EventIdPath, caller: Caller, service: Service, request: Request,
    booking_id: UUID | None = None,
) -> EventSourceResponse:
    """`status_update` for the caller's open bookings on the event (or just `booking_id`),
    then each change; `close` once every watched booking reached a final status. 404 for an
    unknown event (as the event stream) or unless the caller may see `booking_id`; 429 over
    the caller's or the address's stream cap, 503 over the server's or when PostgreSQL or
    Kvrocks is down."""
    await service.layouts(event_id)  # 404 for an unknown event, as the event stream does
    channel = booking_status_channel(caller.user_id, event_id)
    stack, messages = await _subscribed(service, service.feed.subscribe(channel),
                                        caller.user_id, request)
    try:
        if booking_id is not None:
            current = [(await service.get_booking(caller, booking_id)).booking]
        else:
            current = await service.recent_bookings(caller, event_id,
                                                    service.settings.sse_recent_s)
    except BaseException:
        await stack.aclose()
        raise
    return _response(service, _booking_stream(stack, messages, current, booking_id), stack)


async def _booking_stream(
    stack: AsyncExitStack, messages: AsyncIterator[bytes], current: list[Booking],
    booking_id: UUID | None,
) -> AsyncIterator[dict]:
    async with stack:
        watching = {b.id for b in current if b.status not in FINAL}
        for booking in current:
            yield {"event": "status_update", "data": status_update(booking).model_dump_json()}
        if current and not watching:
            yield {"event": "close", "data": "{}"}
            return
        async for update in _updates(messages):
            if booking_id is not None and update.booking_id != booking_id:
                continue
            yield {"event": "status_update", "data": update.model_dump_json()}
            if update.status not in FINAL:
                watching.add(update.booking_id)
                continue
            watching.discard(update.booking_id)
            if not watching:
                yield {"event": "close", "data": "{}"}
                return


async def _updates(messages: AsyncIterator[bytes]) -> AsyncIterator[BookingStatusUpdate]:
    """The booking updates heard; ends quietly when pub/sub goes away."""
    try:
        async for raw in messages:
            yield BookingStatusUpdate.model_validate_json(raw)
    except Unavailable as e:
        log.info("sse_stream_lost error=%r", e)


@router.get("/api/event/{event_id}/sse")
async def event_updates(
    event_id: EventIdPath, service: Service, request: Request
) -> EventSourceResponse:
    """`initial_status` (the event with its subsection counts), then, at most once per
    `TICKETING_SSE_EVENT_INTERVAL_S`, a `status_update` for each subsection whose counts
    changed (the latest counts) and an `attendance` when the door's counts did. 404 for an
    unknown event; 429 over the address's stream cap, 503 over the server's or when PostgreSQL
    or Kvrocks is down."""
    await service.layouts(event_id)  # 404 for an unknown event
    stack, batches = await _subscribed(
        service, service.seat_counts.watch(event_state_channel(event_id)), None, request)
    try:
        event = await service.get_event(event_id)
    except BaseException:
        await stack.aclose()
        raise
    return _response(service, _event_stream(stack, batches, EventOut.of(event)), stack)


async def _event_stream(
    stack: AsyncExitStack, batches: AsyncIterator[Batch], initial: EventOut
) -> AsyncIterator[dict | bytes]:
    async with stack:
        yield {"event": "initial_status", "data": initial.model_dump_json()}
        try:
            async for batch in batches:
                yield batch.encoded(event_frames)
        except Unavailable as e:
            log.info("sse_stream_lost error=%r", e)


def event_frames(items: Sequence[tuple[Hashable, bytes]]) -> bytes:
    """The SSE frames of one batch of an event's state (`contract.event_state_key`, message):
    `attendance` for the door's counts, `status_update` for a subsection's; a message's JSON is
    sent as it was published, re-serialised only if it holds a line break (which would end the
    SSE data line)."""
    frames = []
    for key, raw in items:
        kind = b"attendance" if key == ("attendance",) else b"status_update"
        if b"\n" in raw or b"\r" in raw:
            raw = json.dumps(json.loads(raw), separators=(",", ":")).encode()
        frames.append(b"event: %s\r\ndata: %s\r\n\r\n" % (kind, raw))
    return b"".join(frames)
