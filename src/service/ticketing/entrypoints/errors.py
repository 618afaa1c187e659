"""The one table that turns exceptions into HTTP answers, for every route and the booking
fast path alike (spec/architecture.md, "HTTP conventions").

A backing service that is down (PostgreSQL, Kvrocks, Kafka) is 503 `Service temporarily
unavailable` with `Retry-After`; anything else unexpected is a bug, answered 500 `Internal
server error` with a request id that is also in the `X-Request-ID` header and in the logged
traceback. Neither ever shows the client an exception's name or text.
"""

import json
import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

from aiokafka.errors import KafkaError
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from src.platform import db, kvrocks
from src.service.ticketing.application.ports import PublishFailed, Unavailable
from src.service.ticketing.domain.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    Overloaded,
    TooManyRequests,
)

log = logging.getLogger(__name__)

UNAVAILABLE_DETAIL = "Service temporarily unavailable"
INTERNAL_DETAIL = "Internal server error"
RETRY_AFTER_S = 1
# Driver errors an adapter failed to translate still mean "backing service down", not a bug.
_DRIVERS_DOWN = (*db.UNAVAILABLE, *kvrocks.UNAVAILABLE, KafkaError)
ERROR_STATUS: dict[type[BaseException], int] = {
    InvalidRequest: 400,
    ValidationError: 400,
    RequestValidationError: 400,
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooManyRequests: 429,
    Overloaded: 503,
    Unavailable: 503,
    PublishFailed: 503,
    **dict.fromkeys(_DRIVERS_DOWN, 503),
}
HANDLED: tuple[type[Exception], ...] = tuple(
    k for k in ERROR_STATUS if issubclass(k, Exception))
MALFORMED_JSON = "Malformed JSON body"
Answer = tuple[int, dict[str, str], dict[str, str]]  # status, JSON body, extra headers
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


class _Throttle:
    """At most one log line a second for 503s: an outage must not flood the log."""

    def __init__(self) -> None:
        self.last, self.skipped = 0.0, 0

    def warn(self, status: int, exc: BaseException) -> None:
        """Log `exc` unless a line was logged less than a second ago (then count it)."""
        now = time.monotonic()
        if now - self.last < 1.0:
            self.skipped += 1
            return
        log.warning("request_unavailable status=%d error=%r similar_since_last=%d",
                    status, exc, self.skipped)
        self.last, self.skipped = now, 0


_unavailable_log = _Throttle()


def error_response(exc: BaseException) -> Answer:
    """(status, `{"detail": …}`, headers) for an exception of a type in `ERROR_STATUS`; a 503
    hides the internal reason from the client, logs it and says when to retry."""
    status = next(code for kind, code in ERROR_STATUS.items() if isinstance(exc, kind))
    if isinstance(exc, TooManyRequests | Overloaded):  # the reason is the caller's to know
        return status, {"detail": str(exc)}, {"Retry-After": str(exc.retry_after_s)}
    if status >= 500:
        _unavailable_log.warn(status, exc)
        return status, {"detail": UNAVAILABLE_DETAIL}, {"Retry-After": str(RETRY_AFTER_S)}
    if isinstance(exc, RequestValidationError) and (missing := _not_found(exc.errors())):
        return 404, {"detail": missing}, {}
    if isinstance(exc, ValidationError | RequestValidationError):
        return status, {"detail": describe_errors(exc.errors())}, {}
    return status, {"detail": str(exc)}, {}


def internal_error(exc: BaseException, path: str) -> Answer:
    """The last resort for anything unexpected (a bug): 500 with a fresh request id in the body
    and the `X-Request-ID` header, and the traceback logged under the same id."""
    request_id = uuid.uuid4().hex
    log.error("request_crashed request_id=%s path=%s", request_id, path, exc_info=exc)
    return 500, {"detail": INTERNAL_DETAIL, "request_id": request_id}, {"X-Request-ID": request_id}


def encoded(answer: Answer) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    """An answer as raw ASGI parts: status, JSON body bytes, header pairs."""
    status, body, headers = answer
    return status, json.dumps(body).encode(), [
        (k.lower().encode(), v.encode()) for k, v in headers.items()]
