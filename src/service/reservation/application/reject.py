"""Use case: give up on one BookingCreated that cannot be settled (it went to the DLQ)."""

from src.service.contract import BookingCreated, subsection_tag
from src.service.reservation.application.ports import BookingLedger, SeatMap, StatusPublisher


class RejectBooking:
    """Release whatever seats the booking got, mark it failed (CAS) and tell the buyer."""

    def __init__(self, seat_map: SeatMap, ledger: BookingLedger, publisher: StatusPublisher):
        self._seat_map, self._ledger, self._publisher = seat_map, ledger, publisher

    async def __call__(self, command: BookingCreated, reason: str) -> None:
        tag = subsection_tag(command.event_id, command.section, command.subsection)
        # Release first: the tombstone also stops a redelivery from allocating again.
        await self._seat_map.release(tag, [command.booking_id])
        state = await self._ledger.fail(command.booking_id, reason)
        if state is not None:
            await self._publisher.publish([state], [])
