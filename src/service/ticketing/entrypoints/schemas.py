"""Request and response bodies of the HTTP API (booking PRD §6.1, DESIGN.md §4)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.event import Event
from src.service.ticketing.domain.user import User


def describe_errors(errors: Sequence[Any]) -> str:
    """pydantic/FastAPI validation errors as one readable line: `field: problem; …`."""
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "; ".join(parts) or "Invalid request"


class UserCreate(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(max_length=128)
    name: str = Field(min_length=1, max_length=100)
    role: Literal["buyer", "seller"]


class LoginRequest(BaseModel):
    email: str
    password: str


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: str

    @classmethod
    def of(cls, user: User) -> "UserOut":
        return cls(id=user.id, email=user.email, name=user.name, role=user.role.value)


class EventCreate(BaseModel):
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    venue_name: str = Field(default="", max_length=200)
    seating_config: dict
    is_active: bool = True


class SubsectionOut(BaseModel):
    section: str
    subsection: int
    price: int
    total: int
    available: int
    reserved: int
    sold: int


class EventOut(BaseModel):
    id: int
    seller_id: int
    name: str
    description: str
    venue_name: str
    seating_config: dict
    is_active: bool
    status: str
    created_at: datetime
    subsections: list[SubsectionOut] | None = None

    @classmethod
    def of(cls, event: Event) -> "EventOut":
        subsections = [SubsectionOut(**vars(s)) for s in event.stats] if event.stats else None
        return cls(
            id=event.id, seller_id=event.seller_id, name=event.name,
            description=event.description, venue_name=event.venue_name,
            seating_config=event.seating_config.to_dict(), is_active=event.is_active,
            status=event.status, created_at=event.created_at, subsections=subsections,
        )


class SeatOut(BaseModel):
    id: int
    section: str
    subsection: int
    row: int
    seat: int
    seat_position: str
    price: int
    status: str


class BookingCreate(BaseModel):
    event_id: int
    section: str = Field(max_length=20)
    subsection: int
    quantity: int
    seat_selection_mode: Literal["manual", "best_available"]
    seat_positions: list[str] = Field(default_factory=list, max_length=10)


class TicketOut(SeatOut):
    code: str | None = None


class BookingOut(BaseModel):
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

    @classmethod
    def fields_of(cls, b: Booking) -> dict:
        return dict(
            id=b.id, buyer_id=b.buyer_id, event_id=b.event_id, section=b.section,
            subsection=b.subsection, quantity=b.quantity, total_price=b.total_price,
            status=b.status.value, seat_selection_mode=b.seat_selection_mode.value,
            seat_positions=b.seat_positions, failure_reason=b.failure_reason,
            created_at=b.created_at, updated_at=b.updated_at, paid_at=b.paid_at,
        )

    @classmethod
    def of(cls, booking: Booking) -> "BookingOut":
        return cls(**cls.fields_of(booking))


class BookingDetail(BookingOut):
    """A booking with its event, buyer and tickets (booking PRD §4 'Booking Query')."""

    event: dict | None = None
    buyer: dict | None = None
    tickets: list[TicketOut] = []

    @classmethod
    def of(cls, booking: Booking) -> "BookingDetail":
        return cls(**cls.fields_of(booking), event=booking.event, buyer=booking.buyer,
                   tickets=[TicketOut(**t) for t in booking.tickets])
