"""The wire contract both services share: Kafka messages, key layout and pub/sub payloads.

With `lifecycle.py` (statuses) and `seats.py` (seat positions) it is all the code the two
services have in common (spec/architecture.md, "Components").

Messages are JSON, validated by pydantic on both sides, with a `type` discriminator and a
schema `version`. Every message about one subsection is keyed `"{event}:{section}:{subsection}"`
so it lands on one partition and is handled in order (spec/architecture.md, guarantee 4).
Kvrocks keys of one subsection share that tag in braces so a script's keys hash to one cluster
slot (spec/architecture.md, "Kvrocks rules").
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from src.service.lifecycle import BookingStatus

COMMANDS_TOPIC = "booking.commands"
DEAD_LETTER_TOPIC = "booking.commands.dlq"
RESERVATION_GROUP = "reservation"
SCHEMA_VERSION = 1


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True)


class SubsectionConfig(_Message):
    """Shape of one subsection: `rows` × `cols` seats at `price` (minor units) each."""

    rows: int
    cols: int
    price: int


class BookingCreated(_Message):
    """Command to allocate seats for a booking (spec/booking.md, "Messages")."""

    type: Literal["BookingCreated"] = "BookingCreated"
    version: int = SCHEMA_VERSION
    booking_id: UUID
    buyer_id: int
    event_id: int
    section: str
    subsection: int
    quantity: int
    seat_selection_mode: Literal["manual", "best_available"]
    seat_positions: list[str]
    total_price: int
    config: SubsectionConfig
    occurred_at: datetime


class ReleaseOnly(_Message):
    """The seats a partial release frees (a refund, spec/tickets.md, rule 15): `"row-seat"`
    positions of a subsection with `cols` seats per row, so the consumer finds their bits."""

    seat_positions: list[str]
    cols: int


class BookingCancelled(_Message):
    """Command to release whatever seats a booking holds (spec/booking.md, "Messages"), or with
    `only` just those seats, keeping the booking's others (spec/tickets.md, rule 15)."""

    type: Literal["BookingCancelled"] = "BookingCancelled"
    version: int = SCHEMA_VERSION
    booking_id: UUID
    buyer_id: int
    event_id: int
    section: str
    subsection: int
    seat_positions: list[str]
    cancelled_at: datetime
    only: ReleaseOnly | None = None


BookingCommand = Annotated[BookingCreated | BookingCancelled, Field(discriminator="type")]
_command_adapter: TypeAdapter[BookingCreated | BookingCancelled] = TypeAdapter(BookingCommand)


_commands_adapter: TypeAdapter[list[BookingCreated | BookingCancelled]] = TypeAdapter(
    list[BookingCommand]
)


def decode_command(raw: bytes) -> BookingCreated | BookingCancelled:
    """Parse a Kafka message value; raises `pydantic.ValidationError` on a malformed one."""
    return _command_adapter.validate_json(raw)


def decode_commands(raws: list[bytes]) -> list[BookingCreated | BookingCancelled]:
    """Parse many message values in one call into pydantic-core (a batch costs far less than
    its messages one by one); raises `pydantic.ValidationError` if any one is malformed."""
    return _commands_adapter.validate_json(b"[" + b",".join(raws) + b"]")


def encode(message: BaseModel) -> bytes:
    """Serialise a message or payload to JSON bytes."""
    return message.model_dump_json().encode()


class BookingStatusUpdate(_Message):
    """Pub/sub payload on `booking:status:{buyer}:{event}` whenever a booking changes status;
    `expires_at` is the payment deadline of a held booking whose event has one
    (spec/booking.md, rule 6; optional, so `version` stays 1)."""

    booking_id: UUID
    buyer_id: int
    event_id: int
    status: BookingStatus
    seat_positions: list[str] = []
    total_price: int = 0
    reason: str | None = None
    expires_at: datetime | None = None


def status_update_json(
    booking_id: UUID, buyer_id: int, event_id: int, status: BookingStatus,
    seat_positions: Sequence[str], total_price: int, reason: str | None,
    expires_at: datetime | None = None,
) -> bytes:
    """`BookingStatusUpdate` as JSON bytes, written directly for the consumer's hot loop (a
    batch publishes thousands); `test_contract.py` checks it parses back into the model."""
    return json.dumps({
        "booking_id": str(booking_id), "buyer_id": buyer_id, "event_id": event_id,
        "status": str(status), "seat_positions": list(seat_positions), "total_price": total_price,
        "reason": reason, "expires_at": None if expires_at is None else expires_at.isoformat(),
    }, separators=(",", ":")).encode()


class SubsectionState(_Message):
    """Pub/sub payload on `event_state_updates:{event}`: seat counts of one subsection."""

    event_id: int
    section: str
    subsection: int
    available: int
    reserved: int
    sold: int


class AttendanceUpdate(_Message):
    """Pub/sub payload on `event_state_updates:{event}` after a ticket is checked in: the
    door's counts (spec/tickets.md, rule 11). Told apart from `SubsectionState` by its
    `checked_in` field; the event stream sends it as SSE event `attendance`."""

    event_id: int
    checked_in: int
    sold: int


def event_state_key(raw: bytes) -> tuple[str, ...]:
    """What part of an event's state a message on `event_state_updates:{event}` gives, so a
    newer message of the same part replaces an older one: `("attendance",)` for an
    `AttendanceUpdate`, `("subsection", section, subsection)` for a `SubsectionState`. Raises
    `ValueError` for anything else (not JSON, or neither payload)."""
    payload = json.loads(raw)  # json.JSONDecodeError is a ValueError
    if not isinstance(payload, dict):
        raise ValueError("not a JSON object")
    if payload.keys() == AttendanceUpdate.model_fields.keys():
        return ("attendance",)
    if "section" in payload and "subsection" in payload:
        return ("subsection", str(payload["section"]), str(payload["subsection"]))
    raise ValueError("neither seat counts nor attendance")


def subsection_tag(event_id: int, section: str, subsection: int) -> str:
    """`"{event}:{section}:{subsection}"`: the Kafka key and the Kvrocks hash tag."""
    return f"{event_id}:{section}:{subsection}"


def seats_key(tag: str) -> str:
    """Bitfield of a subsection: bit `SeatPosition.index(cols)` is 1 when the seat is held."""
    return f"seats:{{{tag}}}"


def alloc_key(tag: str) -> str:
    """Hash booking id → comma-separated bit indexes it holds ('' once released)."""
    return f"alloc:{{{tag}}}"


def avail_key(tag: str) -> str:
    """Counter of free seats in a subsection, read by the fail-fast check."""
    return f"avail:{{{tag}}}"


def cursor_key(tag: str) -> str:
    """Lowest row (0-based) that may still have a free seat; every row before it is full.
    Whatever frees seats deletes it (0 is always a safe value)."""
    return f"cursor:{{{tag}}}"


def gen_key(tag: str) -> str:
    """Generation of a subsection's seat map (missing = 0): moved by every script that changes
    the map, compared with `subsection_stats.seat_map_gen` (spec/architecture.md, guarantee 7)."""
    return f"gen:{{{tag}}}"


def booking_status_channel(buyer_id: int, event_id: int) -> str:
    """Pub/sub channel of one buyer's bookings on one event (spec/booking.md, "Live updates")."""
    return f"booking:status:{buyer_id}:{event_id}"


def event_state_channel(event_id: int) -> str:
    """Pub/sub channel of seat-count changes on one event."""
    return f"event_state_updates:{event_id}"
