"""The booking lifecycle as data: every status, every allowed transition and who owns it.

This module is the one home of the status vocabulary (spec/architecture.md, "Lifecycle").
Both services read it; every compare-and-set in either service takes its `WHERE status …`
from a `Transition` here, and `test/integration/test_lifecycle_schema.py` holds the
migration's CHECK constraints to the enums below. Adding a state is a change here plus the
code that uses its new transition.

A booking moves `processing → pending_payment → completed`, or ends `failed` or
`cancelled` (spec/booking.md, rule 5), or `expired` when its event has a payment deadline and
it passes unpaid (rule 6); a completed one becomes `refunded` once all of its
tickets are (spec/tickets.md, rule 15). Its tickets (one row per seat) move with it:
`available → reserved` when the booking settles holding seats, `reserved → sold` when it is
paid, `reserved → available` when it is cancelled or expires.

Paying a booking also issues one ticket per seat: the document its holder shows at the door
(spec/tickets.md). An issued ticket has a life of its own, `IssuedTicketStatus`, with its own
transitions (`IssuedTicketTransition`); the seat statuses above stay those of the seat map.

An event moves `draft → on_sale → closed → ended`, and is `cancelled` from any state before
`ended` (`EventStatus`, `EventTransition`; spec/tickets.md, rule 18). Only `on_sale` takes
bookings.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class BookingStatus(StrEnum):
    """Where a booking is in its life (spec/booking.md, rule 5)."""

    PROCESSING = "processing"
    PENDING_PAYMENT = "pending_payment"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"
    REFUNDED = "refunded"  # after the sale: every one of its tickets was refunded
    EXPIRED = "expired"  # its payment deadline passed unpaid (spec/booking.md, rule 6)


class TicketStatus(StrEnum):
    """Where a seat's ticket is: free, held by a booking awaiting payment, or paid for."""

    AVAILABLE = "available"
    RESERVED = "reserved"
    SOLD = "sold"


class IssuedTicketStatus(StrEnum):
    """Where an issued ticket is (spec/tickets.md, rule 2): `valid` until it is checked in at
    the door, refunded, or transferred (the old ticket; the recipient gets a new one)."""

    VALID = "valid"
    CHECKED_IN = "checked_in"
    REFUNDED = "refunded"
    TRANSFERRED = "transferred"


class Owner(StrEnum):
    """The service that performs a transition (spec/architecture.md, "Ownership")."""

    TICKETING = "ticketing"
    RESERVATION = "reservation"


@dataclass(frozen=True)
class Transition:
    """One allowed move of a booking from any of `sources` to `target`.

    `tickets` is how the booking's tickets move along with it, (from, to), or None when they
    do not move. Only `owner` may perform the transition.
    """

    name: str
    sources: tuple[BookingStatus, ...]
    target: BookingStatus
    owner: Owner
    tickets: tuple[TicketStatus, TicketStatus] | None = None

    def allows(self, status: BookingStatus) -> bool:
        """True when a booking in `status` may take this transition."""
        return status in self.sources

    def guard(self, column: str = "status") -> str:
        """SQL condition on `column` for a compare-and-set, e.g. `status IN ('processing')`."""
        return sql_in(column, self.sources)

    def ticket_move(self) -> tuple[TicketStatus, TicketStatus]:
        """(from, to) of the booking's tickets; raises `ValueError` if they do not move."""
        if self.tickets is None:
            raise ValueError(f"{self.name} moves no tickets")
        return self.tickets

    def tickets_guard(self, column: str = "status") -> str:
        """SQL condition on the tickets' status `column` before this transition moves them."""
        return sql_in(column, self.ticket_move()[:1])


# The reservation service settles a booking: seats held, or refused.
HOLD = Transition("hold", (BookingStatus.PROCESSING,), BookingStatus.PENDING_PAYMENT,
                  Owner.RESERVATION, (TicketStatus.AVAILABLE, TicketStatus.RESERVED))
REFUSE = Transition("refuse", (BookingStatus.PROCESSING,), BookingStatus.FAILED,
                    Owner.RESERVATION)
# The ticketing service: the buyer cancels or pays; the outbox relay gives up.
CANCEL_UNSETTLED = Transition("cancel_unsettled", (BookingStatus.PROCESSING,),
                              BookingStatus.CANCELLED, Owner.TICKETING)
CANCEL_HELD = Transition("cancel_held", (BookingStatus.PENDING_PAYMENT,), BookingStatus.CANCELLED,
                         Owner.TICKETING, (TicketStatus.RESERVED, TicketStatus.AVAILABLE))
PAY = Transition("pay", (BookingStatus.PENDING_PAYMENT,), BookingStatus.COMPLETED,
                 Owner.TICKETING, (TicketStatus.RESERVED, TicketStatus.SOLD))
GIVE_UP = Transition("give_up", (BookingStatus.PROCESSING,), BookingStatus.FAILED,
                     Owner.TICKETING)
# The ticketing service's expiry sweeper: a held booking unpaid at its `expires_at` (its event's
# payment deadline, spec/booking.md, rule 6) lets its seats go.
EXPIRE = Transition("expire", (BookingStatus.PENDING_PAYMENT,), BookingStatus.EXPIRED,
                    Owner.TICKETING, (TicketStatus.RESERVED, TicketStatus.AVAILABLE))

TRANSITIONS: tuple[Transition, ...] = (HOLD, REFUSE, CANCEL_UNSETTLED, CANCEL_HELD, PAY, GIVE_UP,
                                       EXPIRE)
# After the sale (spec/tickets.md, rule 15): a paid booking whose last standing ticket is
# refunded. Kept apart from TRANSITIONS: the booking pipeline ends at `completed` (its SSE
# stream closes there), so this move does not make `completed` open.
REFUND_BOOKING = Transition("refund_booking", (BookingStatus.COMPLETED,), BookingStatus.REFUNDED,
                            Owner.TICKETING)
AFTER_SALE: tuple[Transition, ...] = (REFUND_BOOKING,)

INITIAL = BookingStatus.PROCESSING
# Final: no transition of the booking pipeline leaves it. The SSE stream closes once a booking
# reaches one.
FINAL: frozenset[BookingStatus] = frozenset(
    s for s in BookingStatus if not any(t.allows(s) for t in TRANSITIONS)
)
OPEN: frozenset[BookingStatus] = frozenset(BookingStatus) - FINAL
# The ticket status of a booking's seats while it is in a given status (only statuses that
# hold seats are listed).
SEATS_OF: dict[BookingStatus, TicketStatus] = {
    t.target: t.tickets[1] for t in TRANSITIONS
    if t.tickets is not None and t.tickets[1] is not TicketStatus.AVAILABLE
}
HOLDING: frozenset[BookingStatus] = frozenset(SEATS_OF)
# What a per-buyer ticket limit counts (spec/booking.md, rule 11): a buyer's bookings of an
# event while they hold or may still hold seats, paid ones included. Any other status (failed,
# cancelled, expired, refunded) gives the tickets back: the counters in `buyer_holdings`
# follow every status change through triggers on `bookings` (migration 0010, which writes
# these statuses out; test/integration/test_buyer_holdings_pg.py holds it to this set).
LIMIT_COUNTED: frozenset[BookingStatus] = frozenset(
    {BookingStatus.PROCESSING, BookingStatus.PENDING_PAYMENT, BookingStatus.COMPLETED}
)


@dataclass(frozen=True)
class IssuedTicketTransition:
    """One allowed move of an issued ticket from any of `sources` to `target` (spec/tickets.md,
    rule 2). `seat` is how the ticket's seat (its `tickets` row) moves along, (from, to), or
    None when it stays. Only `owner` may perform it."""

    name: str
    sources: tuple[IssuedTicketStatus, ...]
    target: IssuedTicketStatus
    owner: Owner
    seat: tuple[TicketStatus, TicketStatus] | None = None

    def allows(self, status: IssuedTicketStatus) -> bool:
        """True when a ticket in `status` may take this transition."""
        return status in self.sources

    def guard(self, column: str = "status") -> str:
        """SQL condition on `column` for a compare-and-set, e.g. `status IN ('valid')`."""
        return sql_in(column, self.sources)

    def seat_move(self) -> tuple[TicketStatus, TicketStatus]:
        """(from, to) of the ticket's seat; raises `ValueError` if it does not move."""
        if self.seat is None:
            raise ValueError(f"{self.name} moves no seat")
        return self.seat


ISSUED = IssuedTicketStatus.VALID  # the status of a ticket when it is issued
# The door admits a valid ticket once (spec/tickets.md, rule 9).
CHECK_IN = IssuedTicketTransition("check_in", (IssuedTicketStatus.VALID,),
                                  IssuedTicketStatus.CHECKED_IN, Owner.TICKETING)
# The holder gives the seat to another buyer: the old ticket ends, a new one is issued to them
# (spec/tickets.md, rule 12).
TRANSFER = IssuedTicketTransition("transfer", (IssuedTicketStatus.VALID,),
                                  IssuedTicketStatus.TRANSFERRED, Owner.TICKETING)
# The buyer gets money back and the seat goes back on sale (spec/tickets.md, rule 15).
REFUND = IssuedTicketTransition("refund", (IssuedTicketStatus.VALID,),
                                IssuedTicketStatus.REFUNDED, Owner.TICKETING,
                                (TicketStatus.SOLD, TicketStatus.AVAILABLE))
# The event was cancelled: every ticket that still stands for its seat, admitted at the door
# or not, is refunded in full (spec/tickets.md, rule 19).
REFUND_CANCELLED = IssuedTicketTransition("refund_cancelled", (IssuedTicketStatus.VALID,
                                          IssuedTicketStatus.CHECKED_IN),
                                          IssuedTicketStatus.REFUNDED, Owner.TICKETING,
                                          (TicketStatus.SOLD, TicketStatus.AVAILABLE))
ISSUED_TRANSITIONS: tuple[IssuedTicketTransition, ...] = (CHECK_IN, TRANSFER, REFUND,
                                                         REFUND_CANCELLED)
# Live: the ticket still stands for its seat (at most one per seat, a unique index holds it).
LIVE_TICKETS: frozenset[IssuedTicketStatus] = frozenset(
    {IssuedTicketStatus.VALID, IssuedTicketStatus.CHECKED_IN}
)


class ScanOutcome(StrEnum):
    """What a door scan found (spec/tickets.md, rule 9); every scan is logged with one."""

    CHECKED_IN = "checked_in"
    ALREADY_CHECKED_IN = "already_checked_in"
    REFUNDED = "refunded"
    TRANSFERRED = "transferred"
    WRONG_EVENT = "wrong_event"
    UNKNOWN_CODE = "unknown_code"


class EventStatus(StrEnum):
    """Where an event is in its life (spec/tickets.md, rule 18); only `on_sale` takes
    bookings."""

    DRAFT = "draft"
    ON_SALE = "on_sale"
    CLOSED = "closed"
    ENDED = "ended"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class EventTransition:
    """One allowed move of an event from any of `sources` to `target`, made by its seller
    (spec/tickets.md, rule 18)."""

    name: str
    sources: tuple[EventStatus, ...]
    target: EventStatus

    def allows(self, status: EventStatus) -> bool:
        """True when an event in `status` may take this transition."""
        return status in self.sources

    def guard(self, column: str = "status") -> str:
        """SQL condition on `column` for a compare-and-set, e.g. `status IN ('draft')`."""
        return sql_in(column, self.sources)


PUBLISH = EventTransition("publish", (EventStatus.DRAFT,), EventStatus.ON_SALE)
CLOSE_SALES = EventTransition("close", (EventStatus.ON_SALE,), EventStatus.CLOSED)
END_EVENT = EventTransition("end", (EventStatus.CLOSED,), EventStatus.ENDED)
# Cancelling is its own endpoint: every booking is cancelled or refunded (rule 19).
CANCEL_EVENT = EventTransition(
    "cancel", (EventStatus.DRAFT, EventStatus.ON_SALE, EventStatus.CLOSED), EventStatus.CANCELLED)
EVENT_TRANSITIONS: tuple[EventTransition, ...] = (PUBLISH, CLOSE_SALES, END_EVENT, CANCEL_EVENT)
# What a seller may create an event as; the default keeps the behaviour from before drafts.
EVENT_CREATED_AS: frozenset[EventStatus] = frozenset({EventStatus.DRAFT, EventStatus.ON_SALE})
EVENT_CREATED_DEFAULT = EventStatus.ON_SALE
TAKES_BOOKINGS = EventStatus.ON_SALE


def event_transition_to(current: EventStatus, target: EventStatus) -> EventTransition | None:
    """The transition from `current` to `target` that the status endpoint may take (not the
    cancel: that one has its own endpoint), or None when there is none."""
    return next((t for t in EVENT_TRANSITIONS
                 if t is not CANCEL_EVENT and t.target is target and t.allows(current)), None)


def sql_in(column: str, statuses: Iterable[StrEnum]) -> str:
    """SQL condition `column IN ('a', 'b')` over enum members (never user input)."""
    return f"{column} IN ({', '.join(repr(str(s)) for s in statuses)})"


def values(statuses: Iterable[StrEnum]) -> list[str]:
    """Plain strings of `statuses`, sorted: for SQL array parameters and messages."""
    return sorted(str(s) for s in statuses)
