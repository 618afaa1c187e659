"""Use case: give up on one BookingCreated that cannot be settled (it went to the dead-letter
topic): its seats are freed and the booking is refused (spec/architecture.md, guarantee 8 and
"Lifecycle"; spec/booking.md, "Messages")."""

from src.service.contract import BookingCreated, subsection_tag
from src.service.lifecycle import HOLDING
from src.service.reservation.application.batches import settlement
from src.service.reservation.application.ports import BookingLedger, SeatMap, StatusPublisher
from src.service.reservation.domain.allocation import Allocation, AllocationStatus


class RejectBooking:
    """Settle the booking as refused with the reason (the same compare-and-set as a batch's
    `refuse`), free whatever seats the seat map gave it unless PostgreSQL holds them for it
    (an earlier delivery settled it), and tell the buyer."""

    def __init__(self, seat_map: SeatMap, ledger: BookingLedger, publisher: StatusPublisher):
        self._seat_map, self._ledger, self._publisher = seat_map, ledger, publisher

    async def __call__(self, command: BookingCreated, reason: str) -> None:
        """Refuse the booking if it is still `processing`, free its seats unless it holds them
        in PostgreSQL, publish its state."""
        refused = Allocation(command.booking_id, AllocationStatus.REFUSED, reason=reason)
        result = await self._ledger.settle([settlement(command, refused)])
        state = result.bookings.get(command.booking_id)
        if state is None or state.status not in HOLDING:
            # The tombstone also stops a later redelivery from allocating again.
            tag = subsection_tag(command.event_id, command.section, command.subsection)
            await self._seat_map.release(tag, [command.booking_id])
        if state is not None:
            await self._publisher.publish([state], [])
