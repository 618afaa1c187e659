"""Errors of the ticketing core. They carry user-facing messages, never HTTP codes."""


class DomainError(Exception):
    """Base class; `str(error)` is the message shown to the client."""


class InvalidRequest(DomainError):
    """The request breaks a business rule or is malformed; nothing was changed."""


class NotFound(DomainError):
    """The thing asked for does not exist or is not visible to the caller."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class NotAuthenticated(DomainError):
    """No valid credentials were presented."""


class Conflict(DomainError):
    """The request clashes with an earlier one (an Idempotency-Key reused for another
    request); nothing was changed."""


class TooManyRequests(DomainError):
    """The caller went over an abuse limit; worth trying again after `retry_after_s`."""

    def __init__(self, retry_after_s: int, message: str = "Too many requests") -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Overloaded(DomainError):
    """This process is at a capacity limit of its own (e.g. open streams), whoever asks;
    worth trying again after `retry_after_s`."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
