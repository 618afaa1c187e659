"""The messages the ticketing use cases send: Kafka commands and pub/sub announcements, in the
shapes of `src/service/contract.py` (spec/booking.md, "Messages" and "Live updates")."""

import logging

from src.service.contract import (
    BookingCancelled,
    BookingCreated,
    BookingStatusUpdate,
    SubsectionConfig,
    SubsectionState,
)
from src.service.seats import format_all
from src.service.ticketing.application.ports import StatusNotifier, Unavailable
from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.event import Event, SubsectionStats

log = logging.getLogger(__name__)


def created_command(booking: Booking, event: Event) -> BookingCreated:
    """The command that asks the reservation service to allocate `booking`'s seats."""
    config = event.seating_config
    section = config.section(booking.section)
    assert section is not None, "a stored booking names a section of its event"
    return BookingCreated(
        booking_id=booking.id, buyer_id=booking.buyer_id, event_id=booking.event_id,
        section=booking.section, subsection=booking.subsection, quantity=booking.quantity,
        seat_selection_mode=booking.seat_selection_mode.value,
        seat_positions=format_all(booking.seat_positions), total_price=booking.total_price,
        config=SubsectionConfig(rows=config.rows, cols=config.cols, price=section.price),
        occurred_at=booking.created_at,
    )


def cancelled_command(booking: Booking) -> BookingCancelled:
    """The command that asks the reservation service to free `booking`'s seats."""
    return BookingCancelled(
        booking_id=booking.id, buyer_id=booking.buyer_id, event_id=booking.event_id,
        section=booking.section, subsection=booking.subsection,
        seat_positions=format_all(booking.seat_positions), cancelled_at=booking.updated_at,
    )


def status_update(booking: Booking) -> BookingStatusUpdate:
    """The pub/sub payload announcing `booking`'s current status."""
    return BookingStatusUpdate(
        booking_id=booking.id, buyer_id=booking.buyer_id, event_id=booking.event_id,
        status=booking.status, seat_positions=format_all(booking.seat_positions),
        total_price=booking.total_price, reason=booking.failure_reason,
        expires_at=booking.expires_at,
    )


def state_update(event_id: int, stats: SubsectionStats) -> SubsectionState:
    """The pub/sub payload announcing one subsection's seat counts."""
    return SubsectionState(
        event_id=event_id, section=stats.section, subsection=stats.subsection,
        available=stats.available, reserved=stats.reserved, sold=stats.sold,
    )


async def announce(
    notifier: StatusNotifier, booking: Booking, stats: SubsectionStats | None
) -> None:
    """Tell the booking's SSE stream its new status, and the event stream the new counts.

    Best effort: the change is already committed, so a pub/sub outage is logged, not raised
    (streams read the current state from PostgreSQL when they connect; spec/architecture.md,
    guarantee 6)."""
    try:
        await notifier.booking_status(status_update(booking))
        if stats is not None:
            await notifier.subsection_state(state_update(booking.event_id, stats))
    except Unavailable as e:
        log.warning("announce_failed booking_id=%s error=%r", booking.id, e)


async def announce_counts(notifier: StatusNotifier, event_id: int, stats: SubsectionStats) -> None:
    """Tell the event stream one subsection's new counts; best effort, as `announce`."""
    try:
        await notifier.subsection_state(state_update(event_id, stats))
    except Unavailable as e:
        log.warning("announce_failed event_id=%d error=%r", event_id, e)
