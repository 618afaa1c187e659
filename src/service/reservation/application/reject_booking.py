"""Use case: give up on one BookingCreated that cannot be settled (it went to the dead-letter
topic): its seats are freed and the booking is refused (spec/architecture.md, guarantee 8 and
"Lifecycle"; spec/booking.md, "Messages")."""

from src.service.contract import BookingCreated, subsection_tag
from src.service.lifecycle import HOLDING
from src.service.reservation.application.batches import settlement
from src.service.reservation.application.ports import BookingLedger, SeatMap, StatusPublisher
from src.service.reservation.domain.allocation import Allocation, AllocationStatus
from src.service.reservation.domain.reasons import NOT_PROCESSED


class RejectBooking:
    """Settle the booking as refused, `Booking could not be processed` (the same compare-and-set
    as a batch's `refuse`; why it failed goes to the dead letter and the log, not to the
    buyer), free whatever seats the seat map gave it unless PostgreSQL holds them for it (an
    earlier delivery settled it), and tell the buyer."""

    def __init__(self, seat_map: SeatMap, ledger: BookingLedger, publisher: StatusPublisher):
        self._seat_map, self._ledger, self._publisher = seat_map, ledger, publisher

    async def __call__(self, command: BookingCreated) -> None:
        """Refuse the booking if it is still `processing`, free its seats unless it holds them
        in PostgreSQL (unchecked: see `batches.release_all`), publish its state."""
        refused = Allocation(command.booking_id, AllocationStatus.REFUSED, reason=NOT_PROCESSED)
        result = await self._ledger.settle([settlement(command, refused)])
        state = result.bookings.get(command.booking_id)
        if state is None or state.status not in HOLDING:
            # The tombstone also stops a later redelivery from allocating again.
            tag = subsection_tag(command.event_id, command.section, command.subsection)
            await self._seat_map.release(tag, [command.booking_id])
        if state is not None:
            await self._publisher.publish([state], [])
