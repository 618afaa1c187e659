"""Use case: accept a booking request (the 202 path; spec/booking.md, rules 1–4 and 8)."""

import logging
from dataclasses import dataclass

from src.service.contract import subsection_tag
from src.service.lifecycle import INITIAL
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.messages import created_command
from src.service.ticketing.application.ports import (
    BookingInbox,
    Clock,
    CommandPublisher,
    IdGenerator,
    Limit,
    PublishFailed,
    RateLimiter,
    SeatInventory,
)
from src.service.ticketing.domain.booking import Booking, SeatSelectionMode, check_seat_request
from src.service.ticketing.domain.errors import Forbidden, InvalidRequest, NotFound
from src.service.ticketing.domain.event import Event
from src.service.ticketing.domain.user import Principal, Role

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BookingRequest:
    """What a buyer asks for (spec/booking.md, "Endpoints": POST /api/booking)."""

    event_id: int
    section: str
    subsection: int
    quantity: int
    seat_selection_mode: SeatSelectionMode
    seat_positions: list[str]


@dataclass(frozen=True)
class CreateBooking:
    """Validate, fail fast on live availability, store the booking as `processing` (the
    outbox row), then publish BookingCreated and wait for the broker's ack. A failed publish
    is left to the outbox relay, so the booking is never lost (spec/architecture.md,
    guarantee 1)."""

    layouts: EventLayouts
    inbox: BookingInbox
    inventory: SeatInventory
    publisher: CommandPublisher
    clock: Clock
    ids: IdGenerator
    limiter: RateLimiter | None = None  # the per-buyer limit, when it is on

    async def __call__(self, principal: Principal, request: BookingRequest) -> Booking:
        """The stored booking. Raises `Forbidden`, `NotFound`, `InvalidRequest`,
        `TooManyRequests`."""
        if principal.role is not Role.BUYER:
            raise Forbidden("Only buyers can create bookings")
        if self.limiter is not None:
            await self.limiter.acquire(Limit.BOOKING_BUYER, str(principal.user_id))
        event = await self.layouts(request.event_id)
        booking = await self._admit(principal, request, event)
        await self.inbox.add(booking)
        try:
            await self.publisher.publish(created_command(booking, event))
        except PublishFailed as e:
            log.warning("booking_publish_deferred booking_id=%s error=%r", booking.id, e)
        return booking

    async def _admit(self, principal: Principal, request: BookingRequest, event: Event) -> Booking:
        config = event.seating_config
        section = config.section(request.section)
        if section is None or not 1 <= request.subsection <= section.subsections:
            raise NotFound("Section or subsection not found")
        if not event.on_sale:
            raise InvalidRequest("Event is not on sale")
        mode, quantity = request.seat_selection_mode, request.quantity
        seats = check_seat_request(mode, quantity, request.seat_positions, config)
        tag = subsection_tag(event.id, section.name, request.subsection)
        available, taken = await self.inventory.check(tag, [s.index(config.cols) for s in seats])
        # No counter yet: the subsection's seat map was never written, so all its seats are free.
        if quantity > (config.seats_per_subsection if available is None else available):
            raise InvalidRequest("Insufficient seats available")
        if any(taken):
            unavailable = [p for p, t in zip(request.seat_positions, taken, strict=True) if t]
            raise InvalidRequest(f"Seats not available: {', '.join(unavailable)}")
        now = self.clock.now()
        return Booking(
            id=self.ids.new_id(), buyer_id=principal.user_id, event_id=event.id,
            section=section.name, subsection=request.subsection, quantity=quantity,
            seat_selection_mode=mode, seat_positions=seats,
            total_price=section.price * quantity, status=INITIAL,
            created_at=now, updated_at=now,
        )
