"""Use case: give up on one BookingCreated that cannot be settled (it went to the dead-letter
topic): its seats are freed and the booking is refused (spec/architecture.md, guarantee 8 and
"Lifecycle"; spec/booking.md, "Messages")."""

from src.service.contract import BookingCreated, subsection_tag
from src.service.reservation.application.batches import settlement
from src.service.reservation.application.ports import BookingLedger, SeatMap, StatusPublisher
from src.service.reservation.domain.allocation import Allocation, AllocationStatus


class RejectBooking:
    """Release whatever seats the booking got, settle it as refused with the reason (the same
    compare-and-set as a batch's `refuse`), and tell the buyer."""

    def __init__(self, seat_map: SeatMap, ledger: BookingLedger, publisher: StatusPublisher):
        self._seat_map, self._ledger, self._publisher = seat_map, ledger, publisher

    async def __call__(self, command: BookingCreated, reason: str) -> None:
        """Free the booking's seats, refuse it if it is still `processing`, publish its state."""
        tag = subsection_tag(command.event_id, command.section, command.subsection)
        # Release first: the tombstone also stops a redelivery from allocating again.
        await self._seat_map.release(tag, [command.booking_id])
        refused = Allocation(command.booking_id, AllocationStatus.REFUSED, reason=reason)
        result = await self._ledger.settle([settlement(command, refused)])
        state = result.bookings.get(command.booking_id)
        if state is not None:
            await self._publisher.publish([state], [])
