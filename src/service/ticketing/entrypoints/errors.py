"""The one table that turns core exceptions into HTTP statuses (STYLE.md §7)."""

import logging

from src.service.ticketing.application.ports import PublishFailed, Unavailable
from src.service.ticketing.domain.errors import (
    Forbidden,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
)

log = logging.getLogger(__name__)

ERROR_STATUS: dict[type[Exception], int] = {
    InvalidRequest: 400,
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Unavailable: 503,
    PublishFailed: 503,
}
HANDLED = tuple(ERROR_STATUS)


def error_response(exc: Exception) -> tuple[int, dict]:
    """(status, `{"detail": …}`) for an exception listed in `ERROR_STATUS`; a 503 hides the
    internal reason from the client and logs it."""
    status = next(code for kind, code in ERROR_STATUS.items() if isinstance(exc, kind))
    if status >= 500:
        log.warning("request_failed status=%d error=%r", status, exc)
        return status, {"detail": "Service temporarily unavailable"}
    return status, {"detail": str(exc)}
