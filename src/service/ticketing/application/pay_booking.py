"""Use case: a buyer pays a booking (mock payment; spec/booking.md, rule 5)."""

from dataclasses import dataclass
from uuid import UUID

from src.service.lifecycle import EventStatus
from src.service.ticketing.application.idempotency import KeyedRequest, Superseded
from src.service.ticketing.application.messages import announce
from src.service.ticketing.application.ports import (
    Clock,
    StatusNotifier,
    UnitOfWork,
    UnitOfWorkFactory,
)
from src.service.ticketing.application.views import Reply
from src.service.ticketing.domain.booking import check_can_pay
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.idempotency import Operation
from src.service.ticketing.domain.user import Principal


@dataclass(frozen=True)
class PayBooking:
    """pending_payment → completed (compare-and-set), tickets → sold with their codes, only
    before the booking's payment deadline: past it the booking counts as expired, whether or
    not the sweeper got to it, and a pay racing the sweeper either wins or is refused
    (spec/booking.md, rule 6). Under an Idempotency-Key a retry answers the booking as it is
    now (spec/architecture.md, guarantee 9); keys live `key_ttl_s` seconds."""

    uow: UnitOfWorkFactory
    notifier: StatusNotifier
    clock: Clock
    key_ttl_s: float = 86400.0

    async def __call__(
        self, principal: Principal, booking_id: UUID, key: str | None = None
    ) -> Reply:
        """The paid booking. Raises `NotFound`, `Forbidden`, `InvalidRequest` (also when the
        event was cancelled: spec/tickets.md, rule 19; `Booking has expired` past the
        deadline), `Conflict`."""
        keyed = KeyedRequest(self.uow, principal, key, Operation.PAY, self.key_ttl_s)
        booking, replayed = await keyed.target(booking_id, "pay")
        if replayed:
            return Reply(booking, replayed=True)
        now = self.clock.now()
        check_can_pay(booking.as_of(now).status)
        try:
            async with self.uow() as uow:
                await self._check_event(uow, booking.event_id)
                await keyed.claim(uow, booking)
                # The same `now` as the check: a pay refused here by the deadline is refused
                # by the check when it reads the booking again, never retried for ever.
                result = await uow.bookings.pay(booking, now)
                if result is None:
                    raise Superseded(f"booking {booking.id} changed")
        except Superseded:  # its status or the key changed between the read and the write
            return await self(principal, booking_id, key)
        paid, stats = result
        await announce(self.notifier, paid, stats)
        return Reply(paid)

    @staticmethod
    async def _check_event(uow: UnitOfWork, event_id: int) -> None:
        """Refuse to charge for a cancelled event. Read in the payment's transaction: a cancel
        committed before it is seen here; one committed after it finds the booking paid and
        refunds it in full (spec/tickets.md, rule 19)."""
        event = await uow.events.get(event_id)
        if event is not None and event.status is EventStatus.CANCELLED:
            raise InvalidRequest("Event was cancelled")
