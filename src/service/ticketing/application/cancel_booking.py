"""Use case: a buyer cancels a booking (spec/booking.md, rule 5)."""

from dataclasses import dataclass
from uuid import UUID

from src.service.ticketing.application.dispatch import Dispatch
from src.service.ticketing.application.idempotency import KeyedRequest, Superseded
from src.service.ticketing.application.messages import announce, cancelled_command
from src.service.ticketing.application.ports import Clock, StatusNotifier, UnitOfWorkFactory
from src.service.ticketing.application.views import Reply
from src.service.ticketing.domain.booking import Booking, check_can_cancel
from src.service.ticketing.domain.event import SubsectionStats
from src.service.ticketing.domain.idempotency import Operation
from src.service.ticketing.domain.user import Principal


@dataclass(frozen=True)
class CancelBooking:
    """processing|pending_payment → cancelled (compare-and-set), reserved tickets back to
    available, then BookingCancelled on the subsection's key so the reservation service frees
    the bits; an unacknowledged (or, while the broker is down, unsent) release is re-sent by the
    outbox relay. A booking past its payment deadline is expired, not cancelled
    (spec/booking.md, rule 6). Under an Idempotency-Key a retry answers the booking as it is
    now (spec/architecture.md, guarantee 9); keys live `key_ttl_s` seconds."""

    uow: UnitOfWorkFactory
    dispatch: Dispatch
    notifier: StatusNotifier
    clock: Clock
    key_ttl_s: float = 86400.0

    async def __call__(
        self, principal: Principal, booking_id: UUID, key: str | None = None
    ) -> Reply:
        """The cancelled booking. Raises `NotFound`, `Forbidden`, `InvalidRequest`,
        `Conflict`."""
        keyed = KeyedRequest(self.uow, principal, key, Operation.CANCEL, self.key_ttl_s)
        booking, replayed = await keyed.target(booking_id, "cancel")
        if replayed:
            return Reply(booking, replayed=True)
        # Past its payment deadline a booking counts as expired: the sweeper releases it
        # (spec/booking.md, rule 6).
        transition = check_can_cancel(booking.as_of(self.clock.now()).status)
        try:
            async with self.uow() as uow:
                await keyed.claim(uow, booking)
                result = await uow.bookings.cancel(booking, transition)
                if result is None:
                    raise Superseded(f"booking {booking.id} changed")
        except Superseded:  # its status or the key changed between the read and the write
            return await self(principal, booking_id, key)
        cancelled, stats = result
        await after_cancel(self.uow, self.dispatch, self.notifier, cancelled, stats)
        return Reply(cancelled)


async def after_cancel(uow: UnitOfWorkFactory, dispatch: Dispatch, notifier: StatusNotifier,
                       cancelled: Booking, stats: SubsectionStats | None) -> None:
    """What follows a committed cancel: its SSE streams are told (a final status, so they
    close), then BookingCancelled goes out; once the broker acks, `release_pending` is
    cleared. While the circuit is open the release is left to the relay: no waiting on the
    broker (spec/architecture.md, guarantee 8)."""
    await announce(notifier, cancelled, stats)
    if dispatch.healthy and await dispatch.send(cancelled_command(cancelled)):
        async with uow() as unit:
            await unit.bookings.release_published([cancelled.id])
