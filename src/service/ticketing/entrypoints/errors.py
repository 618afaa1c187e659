"""The one table that turns exceptions into HTTP answers, for every route and the booking
fast path alike (spec/architecture.md, "HTTP conventions")."""

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from src.service.ticketing.application.ports import PublishFailed, Unavailable
from src.service.ticketing.domain.errors import (
    Forbidden,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    TooManyRequests,
)

log = logging.getLogger(__name__)

ERROR_STATUS: dict[type[Exception], int] = {
    InvalidRequest: 400,
    ValidationError: 400,
    RequestValidationError: 400,
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    TooManyRequests: 429,
    Unavailable: 503,
    PublishFailed: 503,
}
HANDLED = tuple(ERROR_STATUS)
MALFORMED_JSON = "Malformed JSON body"
# A path parameter that breaks the input rules names nothing: 404 with the thing's message
# (spec/security.md, "Input rules").
NOT_FOUND_IN_PATH = {
    "event_id": "Event not found", "booking_id": "Booking not found",
    "section": "Section or subsection not found", "subsection": "Section or subsection not found",
}


def describe_errors(errors: Sequence[Any]) -> str:
    """Validation errors as one readable line, `field: problem; …`; any JSON syntax error is
    the one message `MALFORMED_JSON`, whichever parser found it."""
    if any(e.get("type") == "json_invalid" for e in errors):
        return MALFORMED_JSON
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "; ".join(parts) or "Invalid request"


def _not_found(errors: Sequence[Any]) -> str | None:
    for error in errors:
        where = tuple(error.get("loc", ()))
        if len(where) == 2 and where[0] == "path":
            return NOT_FOUND_IN_PATH.get(str(where[1]), "Not found")
    return None


def error_response(exc: Exception) -> tuple[int, dict[str, str]]:
    """(status, `{"detail": …}`) for an exception of a type in `ERROR_STATUS`; a 5xx hides
    the internal reason from the client and logs it."""
    status = next(code for kind, code in ERROR_STATUS.items() if isinstance(exc, kind))
    if status >= 500:
        log.warning("request_failed status=%d error=%r", status, exc)
        return status, {"detail": "Service temporarily unavailable"}
    if isinstance(exc, RequestValidationError) and (missing := _not_found(exc.errors())):
        return 404, {"detail": missing}
    if isinstance(exc, ValidationError | RequestValidationError):
        return status, {"detail": describe_errors(exc.errors())}
    return status, {"detail": str(exc)}


def error_body(exc: Exception) -> tuple[int, bytes]:
    """`error_response` with the body encoded as JSON bytes."""
    status, detail = error_response(exc)
    return status, json.dumps(detail).encode()


def error_headers(exc: Exception) -> dict[str, str]:
    """Headers that go with the error's answer: `Retry-After` on a 429."""
    if isinstance(exc, TooManyRequests):
        return {"Retry-After": str(exc.retry_after_s)}
    return {}
