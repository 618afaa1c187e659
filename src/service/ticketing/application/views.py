"""Read models: what queries return, kept apart from the domain `Booking`."""

from dataclasses import dataclass

from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.ticket import Ticket


@dataclass(frozen=True)
class EventSummary:
    """The event a booking is for, as shown with the booking."""

    id: int
    name: str
    venue_name: str


@dataclass(frozen=True)
class BuyerSummary:
    """The buyer of a booking, as shown to the buyer and to the event's seller."""

    id: int
    name: str
    email: str


@dataclass(frozen=True)
class BookingView:
    """A booking with its event, buyer and tickets (spec/booking.md, "Acceptance": query)."""

    booking: Booking
    event: EventSummary
    buyer: BuyerSummary
    tickets: tuple[Ticket, ...]


@dataclass(frozen=True)
class OutboxEntry:
    """A booking whose command the broker may never have received, and how many times it
    was published so far (spec/architecture.md, guarantee 1)."""

    booking: Booking
    attempts: int
