"""Read models: what queries return, kept apart from the domain `Booking`."""

from dataclasses import dataclass

from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.event import SubsectionStats
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
    """A booking whose command the broker never acknowledged, and how many times it was
    published so far (spec/architecture.md, guarantees 1 and 8). `release` is True when the
    command owed is its BookingCancelled (a cancelled or given-up booking), else it is its
    BookingCreated."""

    booking: Booking
    attempts: int
    release: bool = False


@dataclass(frozen=True)
class Expiry:
    """What one expiry sweep did (spec/booking.md, rule 6): the bookings it moved to
    `expired`, and the new seat counts of their subsections, each with its event id."""

    bookings: tuple[Booking, ...] = ()
    counts: tuple[tuple[int, SubsectionStats], ...] = ()


@dataclass(frozen=True)
class Reply:
    """What a create, pay or cancel answers: the booking, and whether this was a retry under
    an Idempotency-Key answered with what the first request did (spec/architecture.md,
    guarantee 9)."""

    booking: Booking
    replayed: bool = False
