"""Idempotency keys: a buyer's retry of the same request is answered with what the first one
did instead of being done again (spec/architecture.md, guarantee 9; spec/booking.md,
"Idempotency-Key")."""

from dataclasses import dataclass
from enum import StrEnum

from src.service.ticketing.domain.booking import Booking, same_request
from src.service.ticketing.domain.errors import Conflict, InvalidRequest

MAX_KEY_LENGTH = 255
INVALID_KEY = "Invalid Idempotency-Key"
KEY_REUSED = "Idempotency-Key was used for another request"


class Operation(StrEnum):
    """What a key was first used for: a create key is `bookings.idempotency_key`, a pay or
    cancel key a row of `idempotency_keys` with this in `operation`."""

    CREATE = "create"
    PAY = "pay"
    CANCEL = "cancel"


@dataclass(frozen=True)
class KeyUse:
    """What a key already stands for: the operation and the booking it created or acted on
    (`booking` is None when that booking no longer exists)."""

    operation: Operation
    booking: Booking | None


def parse_key(raw: str | None) -> str | None:
    """The `Idempotency-Key` header value, or None without one. Raises `InvalidRequest`
    unless it is 1–255 printable ASCII characters (0x20–0x7E)."""
    if raw is None:
        return None
    if not 1 <= len(raw) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in raw):
        raise InvalidRequest(INVALID_KEY)
    return raw


def replays(use: KeyUse | None, operation: Operation, booking: Booking) -> bool:
    """True when `use` is this very request done before (same operation, same booking);
    False when the key is unused. Raises `Conflict` when it was used for another request."""
    if use is None:
        return False
    if use.operation is operation and use.booking is not None and use.booking.id == booking.id:
        return True
    raise Conflict(KEY_REUSED)


def replayed_creation(use: KeyUse, draft: Booking) -> Booking:
    """The booking the key's first `POST /api/booking` stored, when `draft` asks for the same
    seats (`same_request`). Raises `Conflict` when the key was used for anything else."""
    stored = use.booking
    if use.operation is Operation.CREATE and stored is not None and same_request(stored, draft):
        return stored
    raise Conflict(KEY_REUSED)
