"""The `Idempotency-Key` request header and the `Idempotent-Replayed` answer header of
`POST /api/booking`, `POST /api/booking/{id}/pay` and `PATCH /api/booking/{id}`
(spec/architecture.md, guarantee 9; spec/booking.md, "Idempotency-Key")."""

from typing import Annotated

from fastapi import Header, Response
from starlette.types import Scope

from src.service.ticketing.application.views import Reply
from src.service.ticketing.domain.idempotency import MAX_KEY_LENGTH, parse_key
from src.service.ticketing.entrypoints.inputs import Documented

HEADER = "Idempotency-Key"
REPLAYED = ("Idempotent-Replayed", "true")
DESCRIPTION = (
    "Optional, 1–255 printable ASCII characters, chosen by the client (a UUID is fine). A retry "
    "with the same key by the same buyer is not done again: it answers the booking the first "
    "request created or acted on, as it is now, with `Idempotent-Replayed: true` (also after "
    "the server crashed before answering). Reusing a key for another request is 409; keys are "
    "forgotten `TICKETING_IDEMPOTENCY_TTL_S` (24 h) after first use (a create key: after its "
    "booking's `created_at`). Invalid: 400."
)
# `domain/idempotency.parse_key`'s rule as the document shows it: no blank at either end,
# since HTTP drops those from a header value before the API sees it.
_KEY = Annotated[str, Documented(
    minLength=1, maxLength=MAX_KEY_LENGTH, pattern="^[!-~]([ -~]*[!-~])?$")]
KeyHeader = Annotated[_KEY | None, Header(alias=HEADER, description=DESCRIPTION)]


def key_from_scope(scope: Scope) -> str | None:
    """The validated key of an ASGI request, or None; raises `InvalidRequest` (400)."""
    for name, value in scope["headers"]:
        if name == b"idempotency-key":
            return parse_key(value.decode("latin-1"))
    return None


def mark_replayed(response: Response, reply: Reply) -> None:
    """Add `Idempotent-Replayed: true` when `reply` repeats an earlier request's answer."""
    if reply.replayed:
        response.headers[REPLAYED[0]] = REPLAYED[1]
