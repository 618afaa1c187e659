"""Ports of issued tickets, their door, their events' terms and their refunds
(spec/tickets.md); `ports.py` gathers the repositories into the unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from src.service.contract import AttendanceUpdate
from src.service.lifecycle import REFUND, IssuedTicketStatus, IssuedTicketTransition
from src.service.ticketing.application.ticket_views import Page, RefundOutcome, TicketView
from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.check_in import ScanRecord
from src.service.ticketing.domain.event import Attendance
from src.service.ticketing.domain.issued_ticket import Attendee, IssuedTicket
from src.service.ticketing.domain.refund import Refund
from src.service.ticketing.domain.refund_policy import EventTerms, Quote
from src.service.ticketing.domain.sales import SalesPolicy
from src.service.ticketing.domain.seating import SeatingConfig
from src.service.ticketing.domain.user import User


class IssuedTicketRepository(Protocol):
    """Issued tickets (PostgreSQL `issued_tickets`, spec/tickets.md); every status change is a
    compare-and-set taken from a `src.service.lifecycle.IssuedTicketTransition`."""

    async def get(self, ticket_id: int) -> TicketView | None:
        """The ticket with its event, or None."""

    async def held_by(
        self, holder_id: int, event_id: int | None, status: IssuedTicketStatus | None,
        limit: int, offset: int,
    ) -> Page[TicketView]:
        """The holder's tickets, newest first, one page; the filters that are given hold."""

    async def set_attendee(self, ticket_id: int, attendee: Attendee) -> bool:
        """Compare-and-set on `valid`: store the attendee; False when the ticket was no longer
        valid."""

    async def by_code(self, code: str) -> IssuedTicket | None:
        """The ticket with this code (of any event, in any status), or None."""

    async def check_in(self, ticket_id: int, at: datetime, gate: str | None) -> bool:
        """Compare-and-set by `lifecycle.CHECK_IN`, recording when and where; False when the
        ticket was no longer valid."""

    async def of_booking(self, booking_id: UUID) -> list[IssuedTicket]:
        """Every ticket a booking's payment issued, and their successors by transfer."""

    async def transfer(self, ticket: IssuedTicket, recipient_id: int, code: str) -> int | None:
        """Compare-and-set by `lifecycle.TRANSFER`, then issue the seat's new `valid` ticket to
        `recipient_id` with `code` (pointing back at the old one); the new ticket's id, or None
        when the old ticket was no longer valid."""


class EventTermsRepository(Protocol):
    """What a seller may change of an event (columns of `events`): dates and refund settings
    (spec/tickets.md, rule 13), on-sale rules, details and layout (spec/booking.md, rules
    10–13)."""

    async def set(self, event_id: int, terms: EventTerms) -> None:
        """Store the event's terms (already checked)."""

    async def set_sales(self, event_id: int, sales: SalesPolicy) -> None:
        """Store the event's sale window and per-buyer limits (already checked;
        spec/booking.md, rules 10–12)."""

    async def set_details(
        self, event_id: int, name: str, description: str, venue_name: str
    ) -> None:
        """Store the event's name, description and venue."""

    async def set_hold_seconds(self, event_id: int, hold_seconds: int | None) -> None:
        """Store the payment deadline (seconds, None for none; already checked) of the
        bookings held from now on (spec/booking.md, rule 6)."""

    async def set_layout(self, event_id: int, config: SeatingConfig, reseat: bool) -> None:
        """Store the layout (already checked). Section prices go to the seats still
        available (a held or sold seat keeps what its booking pays); with `reseat` (a new
        shape, allowed only before the first booking) every seat and stats row is made
        again."""

    async def lock(self, event_id: int, freeze_bookings: bool = False) -> bool | None:
        """Lock the event's row until the transaction ends: bookings of the event wait for
        it (their foreign key), other changes too. Whether the event has any booking; None
        when there is no such event. With `freeze_bookings`, every booking of every event
        waits too (none is created or moves) until the transaction ends: for
        `recount_holdings`."""

    async def recount_holdings(self, event_id: int, limited: bool) -> None:
        """Make the event's per-buyer counters again from its bookings when it is now
        `limited` (spec/booking.md, rules 11–12), or drop them; only after a `lock` with
        `freeze_bookings`, so that no booking is missed or counted twice."""


class DoorRepository(Protocol):
    """Door staff of events and the append-only scan log (spec/tickets.md, rules 8–11)."""

    async def is_staff(self, event_id: int, user_id: int) -> bool:
        """True when the seller added this user as door staff of the event."""

    async def add_staff(self, event_id: int, user_id: int) -> None:
        """Make the user door staff of the event (nothing changes if they are already)."""

    async def remove_staff(self, event_id: int, user_id: int) -> bool:
        """Remove the user from the event's door staff; False when they were not on it."""

    async def staff(self, event_id: int) -> list[User]:
        """The event's door staff, in the order they were added."""

    async def scan_by_nonce(self, event_id: int, nonce: str) -> ScanRecord | None:
        """The scan an offline gate uploaded with this nonce for the event, or None."""

    async def log_scan(self, record: ScanRecord) -> bool:
        """Append the scan to the log; False (and nothing written) when the event already has
        a scan with the record's nonce."""

    async def scans(self, event_id: int, limit: int, offset: int) -> Page[ScanRecord]:
        """One page of the event's scan log, newest first."""

    async def attendance(self, event_id: int) -> Attendance:
        """Tickets of the event checked in, and tickets sold that still stand."""


class AttendanceNotifier(Protocol):
    """Pub/sub publisher of the door's counts (spec/tickets.md, rule 11)."""

    async def attendance(self, update: AttendanceUpdate) -> None:
        """Publish on the event's stream channel; raises `Unavailable`."""


class QrRenderer(Protocol):
    """Draws QR codes (spec/tickets.md, rule 6)."""

    def png(self, data: str) -> bytes:
        """`data` as a QR code in a PNG image."""

    def svg(self, data: str) -> bytes:
        """`data` as a QR code in an SVG document (UTF-8)."""


class RefundLost(Exception):
    """A ticket to refund was no longer valid when written: the unit of work rolls back and
    the use case reads again (spec/tickets.md, rule 15)."""


class PaymentFailed(Exception):
    """The payment provider did not confirm a payout; the refund relay tries again."""


class EventSweepRepository(Protocol):
    """The bookings a cancelled event still has to cancel or refund (spec/tickets.md, rule
    19), read in bounded pages, oldest first."""

    async def open_bookings(self, event_id: int, limit: int) -> list[Booking]:
        """Up to `limit` bookings of the event that are still open (processing, held)."""

    async def refundable(self, event_id: int, limit: int) -> list[Booking]:
        """Up to `limit` paid bookings of the event with a valid ticket left."""

    async def cancelled_with_bookings_left(self, limit: int) -> list[int]:
        """Up to `limit` ids of cancelled events with an open booking or a valid ticket."""


class RefundRepository(Protocol):
    """Refunds (PostgreSQL `refunds`) and the moves they make, in one transaction."""

    async def refund(
        self, booking: Booking, tickets: Sequence[IssuedTicket], quotes: Sequence[Quote],
        transition: IssuedTicketTransition = REFUND,
    ) -> RefundOutcome:
        """For tickets of one booking: the compare-and-set `transition` on each (`REFUND`, or
        `REFUND_CANCELLED` for a cancelled event's sweep, which takes checked-in ones too), their
        seats sold → available, the subsection's counts, one refund record each (amounts of
        `quotes`), and `lifecycle.REFUND_BOOKING` when none of the booking's tickets still
        stands. Raises `RefundLost` when a ticket was no longer in one of its sources."""

    async def paid_out(self, refund_id: int, provider_ref: str) -> None:
        """The provider paid the refund back: record its reference."""

    async def release_published(self, refund_ids: Sequence[int]) -> None:
        """The broker acknowledged the release of these refunds' seats."""

    async def claim_pending(self, older_than_s: float, limit: int) -> list[Refund]:
        """Refunds not paid out or not released yet, untouched for `older_than_s` seconds; each
        is bumped so a concurrent relay skips it."""


class PaymentProvider(Protocol):
    """Where refunds are paid back (a mock today; spec/tickets.md, rule 16)."""

    async def refund(self, refund_id: int, booking_id: UUID, amount: int) -> str:
        """Pay `amount` (minor units) back for the booking's payment; idempotent by
        `refund_id`. The provider's reference; raises `PaymentFailed`."""
