"""Request and response bodies of the HTTP API (spec/booking.md, "Endpoints"); requests follow
the input rules of `inputs.py` (spec/security.md, "Input rules")."""

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from src.service.lifecycle import CANCEL_EVENT, EVENT_CREATED_AS, EventStatus, values
from src.service.seats import format_all
from src.service.ticketing.application.cancel_event import Cancellation
from src.service.ticketing.application.create_booking import BookingRequest
from src.service.ticketing.application.create_event import EventDraft
from src.service.ticketing.application.ticket_views import Page
from src.service.ticketing.application.views import BookingView
from src.service.ticketing.domain.booking import MAX_SEATS, MIN_SEATS, Booking, SeatSelectionMode
from src.service.ticketing.domain.event import Event
from src.service.ticketing.domain.passwords import MAX_PASSWORD, MIN_PASSWORD
from src.service.ticketing.domain.ticket import Ticket
from src.service.ticketing.domain.user import User
from src.service.ticketing.entrypoints import examples as ex
from src.service.ticketing.entrypoints.inputs import (
    Documented,
    EmailText,
    Id,
    Int32,
    Paragraph,
    Strict,
    Text,
)
from src.service.ticketing.entrypoints.terms_schemas import (
    RefundTierIO,
    SalesIn,
    SalesOut,
    TermsIn,
    TermsOut,
)

# What the domain checks beyond the parser, shown in the document (spec/security.md,
# "OpenAPI"): a new password's length (`domain/passwords.py`; the list of common passwords
# and the account's own e-mail and name are not expressible), the statuses an event is
# created as or moved to (`lifecycle.py`), a booking's seat count and the `"row-seat"` form of
# a position (`domain/booking.py`, `seats.py`).
NewPassword = Annotated[Text, Documented(minLength=MIN_PASSWORD, maxLength=MAX_PASSWORD)]
CreatedAs = Annotated[Text, Documented(enum=values(EVENT_CREATED_AS))]
MovedTo = Annotated[Text, Documented(
    enum=[s for s in values(EventStatus) if s != CANCEL_EVENT.target])]
SeatCount = Annotated[Int32, Documented(minimum=MIN_SEATS, maximum=MAX_SEATS)]
Position = Annotated[Text, Documented(pattern="^[0-9]{1,6}-[0-9]{1,6}$")]


class UserCreate(Strict):
    """`POST /api/user`; the password rules are the use case's (spec/security.md,
    "Passwords")."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.USER))
    email: EmailText = Field(min_length=3, max_length=254, json_schema_extra={"format": "email"})
    password: NewPassword = Field(max_length=1024)
    name: Text = Field(min_length=1, max_length=100)
    role: Literal["buyer", "seller"]


class LoginRequest(Strict):
    """`POST /api/user/login`."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.LOGIN))

    email: Text = Field(max_length=254)
    password: Text = Field(max_length=1024)


class PasswordChange(Strict):
    """`POST /api/user/password`."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.PASSWORD_CHANGE))

    current_password: Text = Field(max_length=1024)
    new_password: NewPassword = Field(max_length=1024)


class UserOut(BaseModel):
    """A user as the API shows it (never the password hash)."""

    id: int
    email: str
    name: str
    role: str

    @classmethod
    def of(cls, user: User) -> "UserOut":
        """From the domain user."""
        return cls(id=user.id, email=user.email, name=user.name, role=user.role.value)


class EventCreate(TermsIn, SalesIn):
    """`POST /api/event`; `seating_config` is validated by the domain's layout parser; the
    dates and refund settings (spec/tickets.md, rule 13) and the on-sale rules
    (spec/booking.md, rules 10–12) are optional."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.EVENT))
    name: Text = Field(max_length=200)
    description: Paragraph = Field(default="", max_length=5000)
    venue_name: Text = Field(default="", max_length=200)
    seating_config: dict = Field(json_schema_extra=ex.SEATING_CONFIG)
    is_active: bool = True
    status: CreatedAs | None = Field(default=None, max_length=32)  # default `on_sale`
    # Payment deadline of held bookings, 30 to 86400 s; null: none (spec/booking.md, rule 6).
    hold_seconds: Int32 | None = None

    def to_draft(self) -> EventDraft:
        """The use case's input."""
        return EventDraft(self.name, self.description, self.venue_name, self.seating_config,
                          self.is_active, self.to_terms(), self.status, self.hold_seconds,
                          self.to_sales())


class EventStatusIn(Strict):
    """`POST /api/event/{id}/status`: the status to move to (spec/tickets.md, rule 18)."""

    status: MovedTo = Field(max_length=32)


class SubsectionOut(BaseModel):
    """Seat counts of one subsection."""

    section: str
    subsection: int
    price: int
    total: int
    available: int
    reserved: int
    sold: int


class AttendanceOut(BaseModel):
    """Live counts at the door (spec/tickets.md, rule 11)."""

    checked_in: int
    sold: int


class EventOut(BaseModel):
    """An event; `subsections` and `attendance` only on the detail route."""

    id: int
    seller_id: int
    name: str
    description: str
    venue_name: str
    seating_config: dict = Field(json_schema_extra=ex.SEATING_CONFIG)
    is_active: bool
    status: str
    created_at: datetime
    subsections: list[SubsectionOut] | None = None
    attendance: AttendanceOut | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    refunds_enabled: bool = True
    refund_policy: list[RefundTierIO] = []
    timezone: str | None = None
    hold_seconds: int | None = None
    sales_start: datetime | None = None
    sales_end: datetime | None = None
    max_tickets_per_buyer: int | None = None
    one_open_booking_per_buyer: bool = False
    sales_open: bool = False

    @classmethod
    def of(cls, event: Event, now: datetime | None = None) -> "EventOut":
        """From the domain event; `sales_open` as of `now` (the time of the answer)."""
        subsections = [SubsectionOut(**vars(s)) for s in event.stats] if event.stats else None
        attendance = AttendanceOut(**vars(event.attendance)) if event.attendance else None
        return cls(
            id=event.id, seller_id=event.seller_id, name=event.name,
            description=event.description, venue_name=event.venue_name,
            seating_config=event.seating_config.to_dict(), is_active=event.is_active,
            status=event.status.value, created_at=event.created_at, subsections=subsections,
            attendance=attendance, **TermsOut.fields_of(event.terms),
            hold_seconds=event.hold_seconds,
            **SalesOut.fields_of(event, now or datetime.now(UTC)),
        )


class EventPageOut(BaseModel):
    """One page of the event list and the total matching the filters (spec/tickets.md,
    rule 17)."""

    items: list[EventOut]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: Page[Event]) -> "EventPageOut":
        """From the use case's page."""
        return cls(items=[EventOut.of(e) for e in page.items], total=page.total,
                   limit=page.limit, offset=page.offset)


class SeatOut(BaseModel):
    """One seat of a subsection and its status."""

    id: int
    section: str
    subsection: int
    row: int
    seat: int
    seat_position: str
    price: int
    status: str

    @classmethod
    def fields_of(cls, t: Ticket) -> dict:
        """The fields shared with `TicketOut`."""
        return dict(
            id=t.id, section=t.section, subsection=t.subsection, row=t.position.row,
            seat=t.position.seat, seat_position=str(t.position), price=t.price,
            status=t.status.value,
        )

    @classmethod
    def of(cls, ticket: Ticket) -> "SeatOut":
        """From the domain ticket."""
        return cls(**cls.fields_of(ticket))


class BookingCreate(Strict):
    """`POST /api/booking` (spec/booking.md, rules 1–3)."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.BOOKING))

    event_id: Id
    section: Text = Field(max_length=20)
    subsection: Int32
    quantity: SeatCount
    seat_selection_mode: Literal["manual", "best_available"]
    seat_positions: list[Position] = Field(default_factory=list, max_length=10)

    def to_request(self) -> BookingRequest:
        """The use case's input."""
        return BookingRequest(
            event_id=self.event_id, section=self.section, subsection=self.subsection,
            quantity=self.quantity, seat_selection_mode=SeatSelectionMode(self.seat_selection_mode),
            seat_positions=self.seat_positions,
        )


class TicketOut(SeatOut):
    """A ticket of a booking; `code` once paid."""

    code: str | None = None

    @classmethod
    def of(cls, ticket: Ticket) -> "TicketOut":
        """From the domain ticket."""
        return cls(**cls.fields_of(ticket), code=ticket.code)


class BookingOut(BaseModel):
    """A booking as its buyer (or the event's seller) sees it."""

    id: UUID
    buyer_id: int
    event_id: int
    section: str
    subsection: int
    quantity: int
    total_price: int
    status: str
    seat_selection_mode: str
    seat_positions: list[str]
    failure_reason: str | None = None
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None = None
    expires_at: datetime | None = None  # payment deadline, if the event has one (rule 6)

    @classmethod
    def fields_of(cls, b: Booking) -> dict:
        """The fields shared with `BookingDetail`."""
        return dict(
            id=b.id, buyer_id=b.buyer_id, event_id=b.event_id, section=b.section,
            subsection=b.subsection, quantity=b.quantity, total_price=b.total_price,
            status=b.status.value, seat_selection_mode=b.seat_selection_mode.value,
            seat_positions=format_all(b.seat_positions), failure_reason=b.failure_reason,
            created_at=b.created_at, updated_at=b.updated_at, paid_at=b.paid_at,
            expires_at=b.expires_at,
        )

    @classmethod
    def of(cls, booking: Booking) -> "BookingOut":
        """From the domain booking."""
        return cls(**cls.fields_of(booking))


class BookingDetail(BookingOut):
    """A booking with its event, buyer and tickets (spec/booking.md, "Acceptance": query)."""

    event: dict | None = None
    buyer: dict | None = None
    tickets: list[TicketOut] = []

    @classmethod
    def of(cls, view: BookingView) -> "BookingDetail":  # type: ignore[override]
        """From the read model (a booking view, not a bare booking)."""
        return cls(**cls.fields_of(view.booking), event=vars(view.event),
                   buyer=vars(view.buyer), tickets=[TicketOut.of(t) for t in view.tickets])


class EventCancelOut(EventOut):
    """The cancelled event and what this call did (spec/tickets.md, rule 19)."""

    bookings_cancelled: int
    bookings_refunded: int

    @classmethod
    def of_cancellation(cls, done: Cancellation) -> "EventCancelOut":
        """From the use case's answer."""
        return cls(**EventOut.of(done.event).model_dump(), bookings_cancelled=done.cancelled,
                   bookings_refunded=done.refunded)
