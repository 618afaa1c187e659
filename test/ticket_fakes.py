"""Hand-written fakes for the issued-ticket ports (spec/tickets.md), on top of
`test/ticketing_fakes.py`, and a world that wires them into the ticketing service."""

from collections.abc import Callable
from dataclasses import replace

from src.service.lifecycle import (
    CHECK_IN,
    ISSUED,
    TRANSFER,
    BookingStatus,
)
from src.service.ticketing.application.create_booking import BookingRequest
from src.service.ticketing.application.create_event import EventDraft
from src.service.ticketing.application.ticket_views import (
    Page,
    TicketEvent,
    TicketView,
)
from src.service.ticketing.bootstrap import TicketAdapters, build
from src.service.ticketing.domain.booking import Booking, SeatSelectionMode
from src.service.ticketing.domain.check_in import ScanRecord
from src.service.ticketing.domain.issued_ticket import IssuedTicket, new_code
from src.service.ticketing.domain.refund import Refund
from src.service.ticketing.domain.user import Principal, Role, User
from src.service.ticketing.settings import TicketingSettings
from test.door_refund_fakes import (
    FakeDoor,
    FakeEventSweep,
    FakeEventTerms,
    FakePayments,
    FakeRefunds,
)
from test.ticketing_fakes import (
    FakeBookings,
    FakeUnitOfWork,
    FixedClock,
    SequentialIds,
    Store,
)
from test.ticketing_fakes_io import (
    FakeFeed,
    FakeInbox,
    FakeInventory,
    PlainHasher,
    RecordingAcks,
    RecordingNotifier,
    RecordingPublisher,
)

SELLER, BUYER, OTHER = (Principal(1, Role.SELLER), Principal(2, Role.BUYER),
                        Principal(3, Role.BUYER))
LAYOUT = {"rows": 2, "cols": 5, "sections": [{"name": "A", "price": 250, "subsections": 1}]}


class TicketStore(Store):
    """The shared store, plus issued tickets by id. `between_read_and_write`, when set, runs
    once just before the next compare-and-set: a concurrent change the use case did not see."""

    def __init__(self) -> None:
        super().__init__()
        self.issued: dict[int, IssuedTicket] = {}
        self.staff: dict[int, list[int]] = {}  # event id → user ids, in the order added
        self.scans: list[ScanRecord] = []
        self.refunds: dict[int, Refund] = {}
        self.refund_touched: dict[int, object] = {}  # refund id → when the relay last saw it
        self.between_read_and_write: Callable[[], None] | None = None
        self.frozen = False  # whether the last event lock froze every booking write
        self.recounts: list[tuple[int, bool, bool]] = []  # (event id, limited, frozen)

    def interleave(self) -> None:
        """Run (and forget) the pending concurrent change, if any."""
        change, self.between_read_and_write = self.between_read_and_write, None
        if change is not None:
            change()

    def set_status(self, ticket_id: int, status) -> None:
        self.issued[ticket_id] = replace(self.issued[ticket_id], status=status)


class TicketBookings(FakeBookings):
    """Payment also issues one valid ticket per seat (spec/tickets.md, rule 1)."""

    store: TicketStore

    async def cancel(self, booking, transition):
        self.store.interleave()
        return await super().cancel(booking, transition)

    async def pay(self, booking, now):
        done = await super().pay(booking, now)
        if done is not None:
            paid = done[0]
            for position in paid.seat_positions:
                ticket_id = len(self.store.issued) + 1
                self.store.issued[ticket_id] = IssuedTicket(
                    ticket_id, new_code(), paid.event_id, paid.id, paid.buyer_id, paid.section,
                    paid.subsection, position, paid.total_price // paid.quantity, ISSUED,
                    self.clock.now())
        return done


class FakeIssuedTickets:
    def __init__(self, store: TicketStore, clock: FixedClock) -> None:
        self.store, self.clock = store, clock

    def _view(self, ticket: IssuedTicket) -> TicketView:
        event = self.store.events[ticket.event_id]
        return TicketView(ticket, TicketEvent(event.id, event.name, event.venue_name,
                                              event.seller_id))

    async def get(self, ticket_id):
        ticket = self.store.issued.get(ticket_id)
        return self._view(ticket) if ticket else None

    async def held_by(self, holder_id, event_id, status, limit, offset):
        mine = [t for t in sorted(self.store.issued.values(), key=lambda t: -t.id)
                if t.holder_id == holder_id and (event_id is None or t.event_id == event_id)
                and (status is None or t.status is status)]
        items = tuple(self._view(t) for t in mine[offset:offset + limit])
        return Page(items, len(mine), limit, offset)

    async def set_attendee(self, ticket_id, attendee):
        self.store.interleave()
        ticket = self.store.issued[ticket_id]
        if ticket.status is not ISSUED:
            return False
        self.store.issued[ticket_id] = replace(ticket, attendee=attendee)
        return True


    async def by_code(self, code):
        return next((t for t in self.store.issued.values() if t.code == code), None)

    async def check_in(self, ticket_id, at, gate):
        self.store.interleave()
        ticket = self.store.issued[ticket_id]
        if not CHECK_IN.allows(ticket.status):
            return False
        self.store.issued[ticket_id] = replace(ticket, status=CHECK_IN.target, checked_in_at=at,
                                               checked_in_gate=gate)
        return True


    async def of_booking(self, booking_id):
        return sorted((t for t in self.store.issued.values() if t.booking_id == booking_id),
                      key=lambda t: (t.position, t.id))

    async def transfer(self, ticket, recipient_id, code):
        self.store.interleave()
        old = self.store.issued[ticket.id]
        if not TRANSFER.allows(old.status):
            return None
        self.store.issued[old.id] = replace(old, status=TRANSFER.target)
        new_id = len(self.store.issued) + 1
        self.store.issued[new_id] = replace(old, id=new_id, code=code, holder_id=recipient_id,
                                            status=ISSUED, attendee=None, previous_id=old.id,
                                            issued_at=self.clock.now())
        return new_id


class TicketUnitOfWork(FakeUnitOfWork):
    def __init__(self, store: TicketStore, clock: FixedClock) -> None:
        super().__init__(store, clock)
        self.bookings = TicketBookings(store, clock)
        self.issued_tickets = FakeIssuedTickets(store, clock)
        self.door = FakeDoor(store)
        self.event_terms = FakeEventTerms(store)
        self.refunds = FakeRefunds(store, clock)
        self.event_sweep = FakeEventSweep(store)


class FakeQr:
    """Draws nothing: the 'image' names its format and carries the data."""

    def png(self, data: str) -> bytes:
        return b"PNG:" + data.encode()

    def svg(self, data: str) -> bytes:
        return b"SVG:" + data.encode()


class TicketWorld:
    """The ticketing service over fakes, with helpers that bring bookings to paid tickets."""

    def __init__(self, qr=None) -> None:
        self.store, self.clock = TicketStore(), FixedClock()
        self.publisher, self.notifier = RecordingPublisher(), RecordingNotifier()
        self.payments = FakePayments()
        self.service = build(
            TicketingSettings(), uow=self.uow, inbox=FakeInbox(self.store, self.clock),
            inventory=FakeInventory(), publisher=self.publisher,
            acks=RecordingAcks(self.store), notifier=self.notifier,
            feed=FakeFeed(), hasher=PlainHasher(), clock=self.clock, ids=SequentialIds(),
            ticket_adapters=TicketAdapters(qr=qr or FakeQr(), payments=self.payments),
        )
        for principal in (SELLER, BUYER, OTHER):  # accounts behind the principals' tokens
            self.account(principal, f"user{principal.user_id}@x.io")

    def uow(self) -> TicketUnitOfWork:
        return TicketUnitOfWork(self.store, self.clock)

    def account(self, principal: Principal, email: str, name: str = "") -> User:
        """A registered user with `principal`'s id and role."""
        user = User(principal.user_id, email, name or email.split("@")[0], principal.role)
        self.store.users[user.id] = user
        return user

    async def event(self, seller: Principal = SELLER, terms=None) -> int:
        draft = EventDraft("Show", "", "Hall", LAYOUT, terms=terms)
        return (await self.service.create_event(seller, draft)).id

    async def paid(self, event_id: int, seats=("1-1", "1-2"), buyer: Principal = BUYER):
        """A paid booking of `buyer` for `seats`, and its tickets in seat order."""
        request = BookingRequest(event_id, "A", 1, len(seats), SeatSelectionMode.MANUAL,
                                 list(seats))
        booking: Booking = (await self.service.create_booking(buyer, request)).booking
        self.store.bookings[booking.id] = replace(booking, status=BookingStatus.PENDING_PAYMENT)
        await self.service.pay_booking(buyer, booking.id)
        tickets = [t for t in self.store.issued.values() if t.booking_id == booking.id]
        return booking, sorted(tickets, key=lambda t: t.position)
