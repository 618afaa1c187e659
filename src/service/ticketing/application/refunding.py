"""The refund of some tickets of one booking, after the use case's checks, and the two steps
that follow the transaction: paying back and releasing the seats (spec/tickets.md, rules
15–16). Both steps are retried by the refund relay when they fail."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from src.service.contract import BookingCancelled, ReleaseOnly
from src.service.lifecycle import REFUND, REFUND_BOOKING, REFUND_CANCELLED
from src.service.seats import format_all
from src.service.ticketing.application.dispatch import Dispatch
from src.service.ticketing.application.messages import state_update, status_update
from src.service.ticketing.application.ports import (
    Clock,
    StatusNotifier,
    UnitOfWorkFactory,
)
from src.service.ticketing.application.ticket_ports import PaymentFailed, PaymentProvider
from src.service.ticketing.application.ticket_views import RefundOutcome
from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.errors import NotFound
from src.service.ticketing.domain.issued_ticket import IssuedTicket
from src.service.ticketing.domain.refund import Refund
from src.service.ticketing.domain.refund_policy import full_refund, quote

log = logging.getLogger(__name__)


def release_command(booking: Booking, refunds: Sequence[Refund], cols: int) -> BookingCancelled:
    """The partial release of the refunded seats: the booking keeps its other seats."""
    return BookingCancelled(
        booking_id=booking.id, buyer_id=booking.buyer_id, event_id=booking.event_id,
        section=booking.section, subsection=booking.subsection,
        seat_positions=format_all(booking.seat_positions), cancelled_at=refunds[0].created_at,
        only=ReleaseOnly(seat_positions=[str(r.position) for r in refunds], cols=cols),
    )


async def pay_out(uow: UnitOfWorkFactory, payments: PaymentProvider,
                  refunds: Sequence[Refund]) -> list[Refund]:
    """Ask the provider to pay each refund back and record its reference; a failure is logged
    and left to the relay. The refunds as they are afterwards."""
    done = []
    for r in refunds:
        try:
            reference = await payments.refund(r.id, r.booking_id, r.amount)
        except PaymentFailed as e:
            log.warning("refund_payout_deferred refund_id=%d error=%r", r.id, e)
            done.append(r)
            continue
        async with uow() as unit:
            await unit.refunds.paid_out(r.id, reference)
        done.append(replace(r, provider_ref=reference))
    return done


async def release(uow: UnitOfWorkFactory, dispatch: Dispatch, booking: Booking,
                  refunds: Sequence[Refund], cols: int, probe: bool = False) -> list[Refund]:
    """Send the partial release through the circuit breaker and, once the broker acknowledged
    it, clear the refunds' `release_pending`; a failed send is left to the relay, and so is
    the send itself while the broker is known to be down, unless `probe` (the relay's call;
    spec/architecture.md, guarantee 8). The refunds as they are afterwards."""
    if not (probe or dispatch.healthy):
        return list(refunds)
    if not await dispatch.send(release_command(booking, refunds, cols)):
        log.warning("refund_release_deferred booking_id=%s", booking.id)
        return list(refunds)
    async with uow() as unit:
        await unit.refunds.release_published([r.id for r in refunds])
    return [replace(r, release_pending=False) for r in refunds]


@dataclass(frozen=True)
class Refunder:
    """Quote each ticket by the event's terms as PostgreSQL has them now, refund them in one
    transaction, announce the new counts (and the booking's new status), pay back, release."""

    uow: UnitOfWorkFactory
    clock: Clock
    payments: PaymentProvider
    dispatch: Dispatch
    notifier: StatusNotifier

    async def __call__(self, booking: Booking, tickets: Sequence[IssuedTicket],
                       full: bool = False) -> RefundOutcome:
        """The outcome; with `full` (the event was cancelled, spec/tickets.md, rule 19) the
        whole price, whatever the policy, and checked-in tickets are refunded too
        (`REFUND_CANCELLED`). Raises `InvalidRequest` (the policy refuses, with the reason),
        `RefundLost` (a ticket changed meanwhile; nothing was written)."""
        async with self.uow() as uow:
            event = await uow.events.get(booking.event_id)
        if event is None:
            raise NotFound("Event not found")
        now = self.clock.now()
        quotes = [full_refund(t.price) if full else quote(event.terms, now, t.price)
                  for t in tickets]
        async with self.uow() as uow:
            outcome = await uow.refunds.refund(booking, tickets, quotes,
                                               REFUND_CANCELLED if full else REFUND)
        await self.notifier.subsection_state(state_update(booking.event_id, outcome.stats))
        if outcome.booking_refunded:
            refunded = replace(booking, status=REFUND_BOOKING.target, updated_at=now)
            await self.notifier.booking_status(status_update(refunded))
        paid = await pay_out(self.uow, self.payments, outcome.refunds)
        released = await release(self.uow, self.dispatch, booking, paid,
                                 event.seating_config.cols)
        return replace(outcome, refunds=tuple(released))
