"""The pay and cancel side of `Idempotency-Key` (spec/architecture.md, guarantee 9): a retry
is answered with the booking as it is now; the key is recorded in the same transaction as the
compare-and-set it guards, so a crash between the commit and the answer loses nothing."""

from dataclasses import dataclass
from uuid import UUID

from src.service.ticketing.application.access import check_owner
from src.service.ticketing.application.ports import UnitOfWork, UnitOfWorkFactory
from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.idempotency import Operation, replays
from src.service.ticketing.domain.user import Principal


class Superseded(Exception):
    """The booking's status or the key changed between the read and the write; the
    transaction is rolled back and the request starts over."""


@dataclass(frozen=True)
class KeyedRequest:
    """One pay or cancel by `principal`, under `key` (None: no Idempotency-Key). Keys older
    than `ttl_s` seconds count as unused."""

    uow: UnitOfWorkFactory
    principal: Principal
    key: str | None
    operation: Operation
    ttl_s: float

    async def target(self, booking_id: UUID, verb: str) -> tuple[Booking, bool]:
        """(the booking, True when this request was already done under its key), read in one
        transaction. Raises `NotFound`, `Forbidden` naming `verb`, and `Conflict` when the key
        was used for another request."""
        async with self.uow() as uow:
            booking = await uow.bookings.get(booking_id)
            use = None
            if booking is not None and self.key is not None:
                use = await uow.keys.find(self.principal.user_id, self.key, self.ttl_s)
        booking = check_owner(booking, self.principal, verb)
        return booking, replays(use, self.operation, booking)

    async def claim(self, uow: UnitOfWork, booking: Booking) -> None:
        """Record the key for `booking` inside `uow`'s transaction; raises `Superseded` when a
        concurrent request claimed it first."""
        if self.key is None:
            return
        if not await uow.keys.claim(self.principal.user_id, self.key, self.operation,
                                    booking.id, self.ttl_s):
            raise Superseded(f"key claimed meanwhile for booking {booking.id}")
