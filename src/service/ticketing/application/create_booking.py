"""Use case: accept a booking request (the 202 path; spec/booking.md, rules 1–4, 8 and
10–12)."""

from dataclasses import dataclass

from src.service.contract import subsection_tag
from src.service.lifecycle import INITIAL
from src.service.ticketing.application.dispatch import Dispatch
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.messages import created_command
from src.service.ticketing.application.ports import (
    BookingInbox,
    Clock,
    IdGenerator,
    Limit,
    RateLimiter,
    SeatInventory,
)
from src.service.ticketing.application.views import Reply
from src.service.ticketing.domain.booking import Booking, SeatSelectionMode, check_seat_request
from src.service.ticketing.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound
from src.service.ticketing.domain.event import Event
from src.service.ticketing.domain.idempotency import replayed_creation
from src.service.ticketing.domain.user import Principal, Role


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
    """Validate (the sale window against the cached event's times, spec/booking.md, rule 10),
    fail fast on live availability, store the booking as `processing` (the outbox row) with
    its Idempotency-Key, counted against its buyer's limits when the event has any (rules
    11–12, atomically in the inbox), then send BookingCreated through `dispatch` (which waits
    for the broker's ack only while the broker is healthy). A command not acknowledged is
    left to the outbox relay, so the booking is never lost (spec/architecture.md, guarantees
    1, 8 and 9)."""

    layouts: EventLayouts
    inbox: BookingInbox
    inventory: SeatInventory
    dispatch: Dispatch
    clock: Clock
    ids: IdGenerator
    limiter: RateLimiter | None = None  # the per-buyer limit, when it is on

    async def __call__(
        self, principal: Principal, request: BookingRequest, key: str | None = None
    ) -> Reply:
        """The stored booking, or under a `key` already used for this request the booking it
        stored (`replayed`). Raises `Forbidden`, `NotFound`, `InvalidRequest` (also outside
        the sale window, over the buyer's ticket limit), `Conflict` (also an open booking
        already, under one-open-booking-per-buyer),
        `NotAuthenticated` (the buyer no longer exists), `TooManyRequests`, `Unavailable`."""
        if principal.role is not Role.BUYER:
            raise Forbidden("Only buyers can create bookings")
        if self.limiter is not None:
            await self.limiter.acquire(Limit.BOOKING_BUYER, str(principal.user_id))
        event = await self.layouts(request.event_id)
        booking = self._draft(principal, request, event)
        try:
            await self._fail_fast(booking, request.seat_positions, event)
            used = await self.inbox.add(booking, key, event.sales.limits_buyers)
        except (InvalidRequest, Conflict):
            # The retry of a booking that took the last seats, or its buyer's last tickets
            # under a limit, must still get that booking.
            used = await self.inbox.find(principal.user_id, key) if key is not None else None
            if used is None:
                raise
            return Reply(replayed_creation(used, booking), replayed=True)
        if used is not None:
            return Reply(replayed_creation(used, booking), replayed=True)
        await self.dispatch.created(created_command(booking, event))
        return Reply(booking)

    def _draft(self, principal: Principal, request: BookingRequest, event: Event) -> Booking:
        """The booking asked for, checked against rules 1–3 and the event; not stored."""
        config = event.seating_config
        section = config.section(request.section)
        if section is None or not 1 <= request.subsection <= section.subsections:
            raise NotFound("Section or subsection not found")
        if not event.on_sale:
            raise InvalidRequest("Event is not on sale")
        now = self.clock.now()
        event.sales.check_window(now)
        mode, quantity = request.seat_selection_mode, request.quantity
        seats = check_seat_request(mode, quantity, request.seat_positions, config)
        return Booking(
            id=self.ids.new_id(), buyer_id=principal.user_id, event_id=event.id,
            section=section.name, subsection=request.subsection, quantity=quantity,
            seat_selection_mode=mode, seat_positions=seats,
            total_price=section.price * quantity, status=INITIAL,
            created_at=now, updated_at=now,
        )

    async def _fail_fast(self, booking: Booking, asked: list[str], event: Event) -> None:
        """Rule 4: one Kvrocks round trip; raises `InvalidRequest` naming the taken seats."""
        config = event.seating_config
        tag = subsection_tag(event.id, booking.section, booking.subsection)
        indexes = [s.index(config.cols) for s in booking.seat_positions]
        available, taken = await self.inventory.check(tag, indexes)
        # No counter yet: the subsection's seat map was never written, so all its seats are free.
        if booking.quantity > (config.seats_per_subsection if available is None else available):
            raise InvalidRequest("Insufficient seats available")
        if any(taken):
            unavailable = [p for p, t in zip(asked, taken, strict=True) if t]
            raise InvalidRequest(f"Seats not available: {', '.join(unavailable)}")
