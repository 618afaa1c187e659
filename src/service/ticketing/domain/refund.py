"""Refunds of paid tickets: who may ask, and the record of what was paid back
(spec/tickets.md, rule 15). The amount comes from `refund_policy.quote`."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from src.service.lifecycle import BookingStatus, IssuedTicketStatus
from src.service.seats import SeatPosition
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.issued_ticket import IssuedTicket


@dataclass(frozen=True)
class Refund:
    """One refunded ticket: `amount` (minor units) is `percent` % of `price`, rounded down.
    `provider_ref` is the payment provider's reference once it paid; `release_pending` until
    the broker acknowledged the release of the seat."""

    id: int
    ticket_id: int
    booking_id: UUID
    event_id: int
    position: SeatPosition
    price: int
    percent: int
    amount: int
    created_at: datetime
    provider_ref: str | None = None
    release_pending: bool = True


def check_can_refund(ticket: IssuedTicket, buyer_id: int) -> None:
    """spec/tickets.md, rule 15: only a `valid` ticket, and only one its booking's buyer still
    holds (the money goes back to who paid); raises `InvalidRequest`."""
    if ticket.status is not IssuedTicketStatus.VALID:
        raise InvalidRequest(f"Only a valid ticket can be refunded (this one is {ticket.status})")
    if ticket.holder_id != buyer_id:
        raise InvalidRequest("A ticket received by transfer cannot be refunded: the refund goes "
                             "to the buyer who paid")


def check_can_refund_booking(status: BookingStatus) -> None:
    """spec/tickets.md, rule 15: only a `completed` booking; raises `InvalidRequest`."""
    if status is BookingStatus.REFUNDED:
        raise InvalidRequest("Booking is already refunded")
    if status is not BookingStatus.COMPLETED:
        raise InvalidRequest(f"Only a paid booking can be refunded (this one is {status})")
