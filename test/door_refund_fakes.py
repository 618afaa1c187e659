"""Hand-written fakes of the door, event-terms, refund and payment ports (spec/tickets.md),
over the `TicketStore` of `test/ticket_fakes.py`."""

from dataclasses import replace
from datetime import timedelta

from src.service.lifecycle import (
    CANCEL_EVENT,
    CHECK_IN,
    LIVE_TICKETS,
    OPEN,
    PAY,
    REFUND,
    REFUND_BOOKING,
    REFUND_CANCELLED,
)
from src.service.ticketing.application.ticket_ports import PaymentFailed, RefundLost
from src.service.ticketing.application.ticket_views import Page, RefundOutcome
from src.service.ticketing.domain.event import Attendance, SubsectionStats
from src.service.ticketing.domain.refund import Refund


class FakeDoor:
    def __init__(self, store) -> None:
        self.store = store

    async def is_staff(self, event_id, user_id):
        return user_id in self.store.staff.get(event_id, [])

    async def add_staff(self, event_id, user_id):
        staff = self.store.staff.setdefault(event_id, [])
        if user_id not in staff:
            staff.append(user_id)

    async def remove_staff(self, event_id, user_id):
        staff = self.store.staff.get(event_id, [])
        if user_id not in staff:
            return False
        staff.remove(user_id)
        return True

    async def staff(self, event_id):
        return [self.store.users[i] for i in self.store.staff.get(event_id, [])]

    async def scan_by_nonce(self, event_id, nonce):
        return next((r for r in self.store.scans
                     if r.event_id == event_id and r.nonce == nonce), None)

    async def log_scan(self, record):
        if record.nonce is not None and await self.scan_by_nonce(record.event_id, record.nonce):
            return False
        self.store.scans.append(replace(record, id=len(self.store.scans) + 1))
        return True

    async def scans(self, event_id, limit, offset):
        mine = [r for r in reversed(self.store.scans) if r.event_id == event_id]
        return Page(tuple(mine[offset:offset + limit]), len(mine), limit, offset)

    async def attendance(self, event_id):
        tickets = [t for t in self.store.issued.values() if t.event_id == event_id]
        return Attendance(sum(t.status is CHECK_IN.target for t in tickets),
                          sum(t.status in LIVE_TICKETS for t in tickets))


class FakeEventTerms:
    def __init__(self, store) -> None:
        self.store = store

    async def set(self, event_id, terms):
        self.store.events[event_id] = replace(self.store.events[event_id], terms=terms)

    async def set_sales(self, event_id, sales):
        self.store.events[event_id] = replace(self.store.events[event_id], sales=sales)

    async def set_hold_seconds(self, event_id, hold_seconds):
        self.store.events[event_id] = replace(self.store.events[event_id],
                                              hold_seconds=hold_seconds)

    async def set_details(self, event_id, name, description, venue_name):
        self.store.events[event_id] = replace(self.store.events[event_id], name=name,
                                              description=description, venue_name=venue_name)

    async def set_layout(self, event_id, config, reseat):
        event = self.store.events[event_id]
        self.store.events[event_id] = replace(event, seating_config=config, stats=tuple(
            replace(s, price=config.section(s.section).price) for s in event.stats
            if config.section(s.section) is not None))

    async def recount_holdings(self, event_id, limited):
        self.store.recounts.append((event_id, limited, self.store.frozen))

    async def lock(self, event_id, freeze_bookings=False):
        """Whether the event has a booking; a concurrent change pending in the store (a
        booking arriving) happens first, as it would while the lock is waited for."""
        self.store.frozen = freeze_bookings
        interleave = getattr(self.store, "interleave", None)
        if interleave is not None:
            interleave()
        if event_id not in self.store.events:
            return None
        return any(b.event_id == event_id for b in self.store.bookings.values())


class FakeRefunds:
    """Refunds with the compare-and-set rules of the PostgreSQL adapter."""

    def __init__(self, store, clock) -> None:
        self.store, self.clock = store, clock

    async def refund(self, booking, tickets, quotes, transition=REFUND):
        self.store.interleave()
        current = [self.store.issued[t.id] for t in tickets]
        if any(not transition.allows(t.status) or t.booking_id != booking.id for t in current):
            raise RefundLost("a ticket was no longer refundable")
        records = []
        for ticket, q in zip(current, quotes, strict=True):
            self.store.issued[ticket.id] = replace(ticket, status=transition.target)
            refund = Refund(len(self.store.refunds) + 1, ticket.id, booking.id, booking.event_id,
                            ticket.position, q.price, q.percent, q.amount, self.clock.now())
            self.store.refunds[refund.id] = refund
            self.store.refund_touched[refund.id] = self.clock.now()
            records.append(refund)
        standing = any(t.booking_id == booking.id and t.status in LIVE_TICKETS
                       for t in self.store.issued.values())
        stored = self.store.bookings[booking.id]
        if not standing and REFUND_BOOKING.allows(stored.status):
            self.store.bookings[booking.id] = replace(stored, status=REFUND_BOOKING.target)
        stats = SubsectionStats(booking.section, booking.subsection, 0, 0, len(records), 0, 0)
        return RefundOutcome(tuple(records), stats, not standing)

    async def paid_out(self, refund_id, provider_ref):
        refund = self.store.refunds[refund_id]
        if refund.provider_ref is None:
            self.store.refunds[refund_id] = replace(refund, provider_ref=provider_ref)

    async def release_published(self, refund_ids):
        for i in refund_ids:
            self.store.refunds[i] = replace(self.store.refunds[i], release_pending=False)

    async def claim_pending(self, older_than_s, limit):
        cutoff = self.clock.now() - timedelta(seconds=older_than_s)
        claimed = [r for r in self.store.refunds.values()
                   if (r.release_pending or r.provider_ref is None)
                   and self.store.refund_touched[r.id] <= cutoff][:limit]
        for r in claimed:
            self.store.refund_touched[r.id] = self.clock.now()
        return claimed


class FakePayments:
    """Remembers every payout; `fail_next` makes the next N refunds fail."""

    def __init__(self) -> None:
        self.paid: dict[int, int] = {}
        self.fail_next = 0

    async def refund(self, refund_id, booking_id, amount):
        if self.fail_next:
            self.fail_next -= 1
            raise PaymentFailed("provider unavailable")
        self.paid[refund_id] = amount
        return f"fake-{refund_id}"


class FakeEventSweep:
    """The cancelled event's sweep reads of the PostgreSQL adapter, over the store."""

    def __init__(self, store) -> None:
        self.store = store

    async def open_bookings(self, event_id, limit):
        found = [b for b in self.store.bookings.values()
                 if b.event_id == event_id and b.status in OPEN]
        return sorted(found, key=lambda b: b.id)[:limit]

    async def refundable(self, event_id, limit):
        valid = {t.booking_id for t in self.store.issued.values()
                 if REFUND_CANCELLED.allows(t.status)}
        found = [b for b in self.store.bookings.values()
                 if b.event_id == event_id and b.status is PAY.target and b.id in valid]
        return sorted(found, key=lambda b: b.id)[:limit]

    async def cancelled_with_bookings_left(self, limit):
        left = []
        for e in sorted(self.store.events.values(), key=lambda e: e.id):
            if e.status is CANCEL_EVENT.target and (
                    await self.open_bookings(e.id, 1) or await self.refundable(e.id, 1)):
                left.append(e.id)
        return left[:limit]
