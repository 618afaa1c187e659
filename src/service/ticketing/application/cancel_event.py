"""Use case: the seller cancels an event (spec/tickets.md, rule 19): the status first, then
every booking cancelled or refunded in full, in bounded steps."""

import logging
from dataclasses import dataclass

from src.service.lifecycle import CANCEL_EVENT, REFUND_CANCELLED
from src.service.ticketing.application.cancel_booking import after_cancel
from src.service.ticketing.application.dispatch import Dispatch
from src.service.ticketing.application.door_access import sellers_event
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.ports import StatusNotifier, UnitOfWorkFactory
from src.service.ticketing.application.refunding import Refunder
from src.service.ticketing.application.ticket_ports import RefundLost
from src.service.ticketing.domain.booking import Booking, check_can_cancel
from src.service.ticketing.domain.errors import InvalidRequest, NotFound
from src.service.ticketing.domain.event import Event
from src.service.ticketing.domain.user import Principal

log = logging.getLogger(__name__)
SELLER_ONLY = "Only the seller of this event can cancel it"


@dataclass(frozen=True)
class Cancellation:
    """The cancelled event and what this call did: bookings cancelled, bookings refunded."""

    event: Event
    cancelled: int
    refunded: int


@dataclass(frozen=True)
class CancelEvent:
    """The event's compare-and-set `cancel` (any status before `ended`) commits first, so no
    process takes a booking for it once its layout cache is fresh (rule 18's bound). Then the
    sweep, in pages of `batch` bookings, one short transaction per booking, through the
    booking's own moves: an open booking takes its cancel (`cancel_unsettled`/`cancel_held`,
    its stream told, `BookingCancelled` sent), a paid one refunds every ticket that still
    stands (valid or checked in) at 100 %
    (`Refunder`, partial release, payout). A move that loses to a concurrent change is
    picked up by the next page, and whatever is left (a booking accepted within the cache's
    TTL, paid meanwhile, or a lost race) by `sweep_cancelled`, run by the refund relay."""

    uow: UnitOfWorkFactory
    layouts: EventLayouts
    dispatch: Dispatch
    notifier: StatusNotifier
    refunder: Refunder
    batch: int = 100

    async def __call__(self, principal: Principal, event_id: int) -> Cancellation:
        """The event as it is now and this call's counts. Repeating it is harmless (it only
        finishes what is left). Raises `NotFound`, `Forbidden` (not its seller),
        `InvalidRequest` (the event has ended)."""
        sellers_event(await self.layouts(event_id), principal, SELLER_ONLY)
        async with self.uow() as uow:
            event = await uow.events.get(event_id)
            if event is None:
                raise NotFound("Event not found")
            lost = False
            if event.status is not CANCEL_EVENT.target:
                if not CANCEL_EVENT.allows(event.status):
                    raise InvalidRequest(f"An event that is {event.status} cannot be cancelled")
                lost = not await uow.events.move(event_id, CANCEL_EVENT)
        self.layouts.forget(event_id)
        if lost:  # its status changed between the read and the write: judged again by it
            return await self(principal, event_id)
        cancelled, refunded = await self.sweep(event_id)
        async with self.uow() as uow:
            now = await uow.events.get(event_id, with_stats=True)
        assert now is not None, "the event was just read"
        return Cancellation(now, cancelled, refunded)

    async def sweep(self, event_id: int) -> tuple[int, int]:
        """Cancel the open bookings and refund the paid ones of a cancelled event, a page at
        a time, until a round finds nothing or changes nothing. (cancelled, refunded)."""
        cancelled = refunded = 0
        while True:
            async with self.uow() as uow:
                open_ = await uow.event_sweep.open_bookings(event_id, self.batch)
            done_cancel = [b for b in open_ if await self._cancel(b)]
            async with self.uow() as uow:
                paid = await uow.event_sweep.refundable(event_id, self.batch)
            done_refund = [b for b in paid if await self._refund(b)]
            cancelled, refunded = cancelled + len(done_cancel), refunded + len(done_refund)
            if not (done_cancel or done_refund):
                return cancelled, refunded

    async def sweep_cancelled(self, limit: int = 10) -> int:
        """The relay's pass: finish up to `limit` cancelled events that still have bookings
        to cancel or refund. How many bookings it moved."""
        async with self.uow() as uow:
            events = await uow.event_sweep.cancelled_with_bookings_left(limit)
        moved = 0
        for event_id in events:
            cancelled, refunded = await self.sweep(event_id)
            moved += cancelled + refunded
            if cancelled or refunded:
                log.info("cancelled_event_swept event_id=%d cancelled=%d refunded=%d",
                         event_id, cancelled, refunded)
        return moved

    async def _cancel(self, booking: Booking) -> bool:
        """The booking's own cancel; False when it changed meanwhile (read again later)."""
        transition = check_can_cancel(booking.status)
        async with self.uow() as uow:
            result = await uow.bookings.cancel(booking, transition)
        if result is None:
            return False
        await after_cancel(self.uow, self.dispatch, self.notifier, *result)
        return True

    async def _refund(self, booking: Booking) -> bool:
        """Every ticket of the booking that still stands (valid or checked in) back at 100 %,
        whoever holds it now; False when one changed meanwhile (nothing was written)."""
        async with self.uow() as uow:
            tickets = await uow.issued_tickets.of_booking(booking.id)
        standing = [t for t in tickets if REFUND_CANCELLED.allows(t.status)]
        if not standing:
            return False
        try:
            await self.refunder(booking, standing, full=True)
        except RefundLost:
            return False
        return True
