"""Read models of issued tickets: what the ticket queries return (spec/tickets.md)."""

from dataclasses import dataclass
from typing import Generic, TypeVar

from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.event import SubsectionStats
from src.service.ticketing.domain.issued_ticket import IssuedTicket
from src.service.ticketing.domain.refund import Refund

T = TypeVar("T")


@dataclass(frozen=True)
class TicketEvent:
    """The event a ticket is for, as shown with the ticket; `seller_id` decides who else may
    see it (spec/tickets.md, rule 4)."""

    id: int
    name: str
    venue_name: str
    seller_id: int


@dataclass(frozen=True)
class TicketView:
    """An issued ticket with its event."""

    ticket: IssuedTicket
    event: TicketEvent


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: `items` from `offset`, at most `limit`; `total` counts every item
    matching the query (spec/tickets.md, rule 5)."""

    items: tuple[T, ...]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class RefundOutcome:
    """What one refund transaction did: a record per ticket, the subsection's new counts, and
    whether it refunded the booking's last standing ticket (spec/tickets.md, rule 15)."""

    refunds: tuple[Refund, ...]
    stats: SubsectionStats
    booking_refunded: bool


@dataclass(frozen=True)
class TicketRefund:
    """A refunded ticket and its refund."""

    ticket: TicketView
    refund: Refund


@dataclass(frozen=True)
class BookingRefund:
    """A booking after a refund of its tickets, and the refunds."""

    booking: Booking
    refunds: tuple[Refund, ...]
