"""Booking use cases: create (202 path), get, list, cancel, pay (booking PRD §3)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from src.service.contract import (
    BookingCancelled,
    BookingCreated,
    BookingStatusUpdate,
    SubsectionConfig,
    SubsectionState,
    subsection_tag,
)
from src.service.ticketing.application.events import EventCatalog
from src.service.ticketing.application.ports import (
    BookingInbox,
    Clock,
    CommandPublisher,
    IdGenerator,
    PublishFailed,
    SeatInventory,
    StatusNotifier,
    UnitOfWorkFactory,
)
from src.service.ticketing.domain.booking import (
    Booking,
    BookingStatus,
    SeatSelectionMode,
    check_can_cancel,
    check_can_pay,
    check_seat_request,
)
from src.service.ticketing.domain.errors import Forbidden, InvalidRequest, NotFound
from src.service.ticketing.domain.event import Event, SubsectionStats
from src.service.ticketing.domain.user import Principal, Role

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BookingRequest:
    """What a buyer asks for (booking PRD §6.1 POST /api/booking)."""

    event_id: int
    section: str
    subsection: int
    quantity: int
    seat_selection_mode: SeatSelectionMode
    seat_positions: list[str]


def created_command(booking: Booking, event: Event) -> BookingCreated:
    """The Kafka command that asks the reservation service to allocate `booking`'s seats."""
    config = event.seating_config
    section = config.section(booking.section)
    assert section is not None
    return BookingCreated(
        booking_id=booking.id, buyer_id=booking.buyer_id, event_id=booking.event_id,
        section=booking.section, subsection=booking.subsection, quantity=booking.quantity,
        seat_selection_mode=booking.seat_selection_mode.value,
        seat_positions=booking.seat_positions, total_price=booking.total_price,
        config=SubsectionConfig(rows=config.rows, cols=config.cols, price=section.price),
        occurred_at=booking.created_at,
    )


def cancelled_command(booking: Booking) -> BookingCancelled:
    """The Kafka command that asks the reservation service to free `booking`'s seats."""
    return BookingCancelled(
        booking_id=booking.id, buyer_id=booking.buyer_id, event_id=booking.event_id,
        section=booking.section, subsection=booking.subsection,
        seat_positions=booking.seat_positions, cancelled_at=booking.updated_at,
    )


def status_update(booking: Booking) -> BookingStatusUpdate:
    """The pub/sub payload announcing `booking`'s current status."""
    return BookingStatusUpdate(
        booking_id=booking.id, buyer_id=booking.buyer_id, event_id=booking.event_id,
        status=booking.status.value, seat_positions=booking.seat_positions,
        total_price=booking.total_price, reason=booking.failure_reason,
    )


def state_update(event_id: int, stats: SubsectionStats) -> SubsectionState:
    """The pub/sub payload announcing one subsection's seat counts."""
    return SubsectionState(
        event_id=event_id, section=stats.section, subsection=stats.subsection,
        available=stats.available, reserved=stats.reserved, sold=stats.sold,
    )


@dataclass(frozen=True)
class Bookings:
    """The booking use cases; each opens and commits its own unit of work."""

    uow: UnitOfWorkFactory
    inbox: BookingInbox
    catalog: EventCatalog
    inventory: SeatInventory
    publisher: CommandPublisher
    notifier: StatusNotifier
    clock: Clock
    ids: IdGenerator

    async def create(self, principal: Principal, request: BookingRequest) -> Booking:
        """Validate, fail fast on live availability, store the booking as `processing` (the
        outbox row), then publish BookingCreated and wait for the broker's ack. A failed
        publish is left to the outbox sweeper, so the booking is never lost.
        Raises `Forbidden`, `NotFound`, `InvalidRequest` (booking PRD §3 rules 1–4)."""
        if principal.role is not Role.BUYER:
            raise Forbidden("Only buyers can create bookings")
        event = await self.catalog.layout(request.event_id)
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
        if not event.is_active or event.status != "available":
            raise InvalidRequest("Event is not on sale")
        mode, quantity = request.seat_selection_mode, request.quantity
        seats = check_seat_request(mode, quantity, request.seat_positions, config)
        indexes = [(row - 1) * config.cols + (seat - 1) for row, seat in seats]
        tag = subsection_tag(event.id, section.name, request.subsection)
        available, taken = await self.inventory.check(tag, indexes)
        if available < quantity:
            raise InvalidRequest("Insufficient seats available")
        if any(taken):
            unavailable = [p for p, t in zip(request.seat_positions, taken, strict=True) if t]
            raise InvalidRequest(f"Seats not available: {', '.join(unavailable)}")
        now = self.clock.now()
        return Booking(
            id=self.ids.new_id(), buyer_id=principal.user_id, event_id=event.id,
            section=section.name, subsection=request.subsection, quantity=quantity,
            seat_selection_mode=mode, seat_positions=list(request.seat_positions),
            total_price=section.price * quantity, status=BookingStatus.PROCESSING,
            created_at=now, updated_at=now,
        )

    async def get(self, principal: Principal, booking_id: UUID) -> Booking:
        """The booking with its tickets, for its buyer or the event's seller; anyone else gets
        `NotFound` so that ids of other people's bookings reveal nothing."""
        async with self.uow() as uow:
            booking = await uow.bookings.get(booking_id)
        if booking is None or not await self._may_view(principal, booking):
            raise NotFound("Booking not found")
        return booking

    async def _may_view(self, principal: Principal, booking: Booking) -> bool:
        if principal.role is Role.BUYER:
            return booking.buyer_id == principal.user_id
        event = await self.catalog.layout(booking.event_id)
        return event.seller_id == principal.user_id

    async def list(self, principal: Principal, status: BookingStatus | None) -> list[Booking]:
        """A buyer's own bookings, or every booking on a seller's events (PRD §3 rule 7)."""
        is_buyer = principal.role is Role.BUYER
        async with self.uow() as uow:
            return await uow.bookings.list(
                buyer_id=principal.user_id if is_buyer else None,
                seller_id=None if is_buyer else principal.user_id,
                statuses=(status,) if status else (),
            )

    async def current_on_event(
        self, principal: Principal, event_id: int, recent_s: float
    ) -> list[Booking]:
        """The caller's bookings on one event that are open or settled within the last
        `recent_s` seconds: what a buyer who just connected needs to hear about."""
        since = self.clock.now() - timedelta(seconds=recent_s)
        async with self.uow() as uow:
            return await uow.bookings.on_event(principal.user_id, event_id, since)

    async def _owned(self, principal: Principal, booking_id: UUID, verb: str) -> Booking:
        async with self.uow() as uow:
            booking = await uow.bookings.get(booking_id)
        if booking is None:
            raise NotFound("Booking not found")
        if booking.buyer_id != principal.user_id:
            raise Forbidden(f"Only the buyer of this booking can {verb} it")
        return booking

    async def cancel(self, principal: Principal, booking_id: UUID) -> Booking:
        """processing|pending_payment → cancelled (compare-and-set), reserved tickets back to
        available, then BookingCancelled on the subsection's key so the reservation service
        frees the bits. Raises `NotFound`, `Forbidden`, `InvalidRequest` (PRD §3 rule 5)."""
        booking = await self._owned(principal, booking_id, "cancel")
        check_can_cancel(booking.status)
        async with self.uow() as uow:
            result = await uow.bookings.cancel(booking)
        if result is None:  # its status changed between the read and the write
            return await self.cancel(principal, booking_id)
        cancelled, stats = result
        await self._announce(cancelled, stats)
        try:
            await self.publisher.publish(cancelled_command(cancelled))
        except PublishFailed as e:
            log.warning("release_publish_deferred booking_id=%s error=%r", cancelled.id, e)
            return cancelled
        async with self.uow() as uow:
            await uow.bookings.release_published(cancelled.id)
        return cancelled

    async def pay(self, principal: Principal, booking_id: UUID) -> Booking:
        """Mock payment: pending_payment → completed (compare-and-set), tickets → sold with
        their codes. Raises `NotFound`, `Forbidden`, `InvalidRequest` (PRD §3 rule 5)."""
        booking = await self._owned(principal, booking_id, "pay")
        check_can_pay(booking.status)
        async with self.uow() as uow:
            result = await uow.bookings.pay(booking)
        if result is None:
            return await self.pay(principal, booking_id)
        paid, stats = result
        await self._announce(paid, stats)
        return paid

    async def _announce(self, booking: Booking, stats: SubsectionStats | None) -> None:
        await self.notifier.booking_status(status_update(booking))
        if stats is not None:
            await self.notifier.subsection_state(state_update(booking.event_id, stats))
