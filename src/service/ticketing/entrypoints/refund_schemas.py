"""Response bodies of the refund routes (spec/tickets.md, rule 15)."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from src.service.ticketing.application.ticket_views import BookingRefund, TicketRefund
from src.service.ticketing.domain.refund import Refund
from src.service.ticketing.entrypoints.schemas import BookingOut
from src.service.ticketing.entrypoints.ticket_schemas import IssuedTicketOut


class RefundOut(BaseModel):
    """One refunded ticket: `amount` (minor units) = `percent` % of `price`, rounded down;
    `paid_out` once the payment provider confirmed it."""

    id: int
    ticket_id: int
    booking_id: UUID
    seat_position: str
    price: int
    percent: int
    amount: int
    created_at: datetime
    paid_out: bool

    @classmethod
    def of(cls, r: Refund) -> "RefundOut":
        """From the domain refund."""
        return cls(id=r.id, ticket_id=r.ticket_id, booking_id=r.booking_id,
                   seat_position=str(r.position), price=r.price, percent=r.percent,
                   amount=r.amount, created_at=r.created_at, paid_out=r.provider_ref is not None)


class TicketRefundOut(BaseModel):
    """`POST /api/ticket/{id}/refund`: the ticket, now refunded, and its refund."""

    ticket: IssuedTicketOut
    refund: RefundOut

    @classmethod
    def of(cls, done: TicketRefund) -> "TicketRefundOut":
        """From the read model."""
        return cls(ticket=IssuedTicketOut.of(done.ticket), refund=RefundOut.of(done.refund))


class BookingRefundOut(BaseModel):
    """`POST /api/booking/{id}/refund`: the booking as it is now, its refunds and their sum."""

    booking: BookingOut
    refunds: list[RefundOut]
    amount: int

    @classmethod
    def of(cls, done: BookingRefund) -> "BookingRefundOut":
        """From the read model."""
        return cls(booking=BookingOut.of(done.booking),
                   refunds=[RefundOut.of(r) for r in done.refunds],
                   amount=sum(r.amount for r in done.refunds))
