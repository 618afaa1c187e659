"""Rules for choosing a password, after NIST SP 800-63B, 5.1.1.2 (spec/security.md,
"Passwords"): long enough, not absurdly long, not blank, and not one that attackers try first
(a list of common passwords, or the account's own e-mail or name). No composition rules and
no forced expiry."""

from collections.abc import Container

from src.service.ticketing.domain.errors import InvalidRequest

MIN_PASSWORD, MAX_PASSWORD = 8, 128


def check_new_password(password: str, common: Container[str], *context: str) -> None:
    """Raise `InvalidRequest` unless `password` may be chosen; `common` holds lower-case
    passwords that are too easy to guess, `context` the account's e-mail and name."""
    if len(password) < MIN_PASSWORD:
        raise InvalidRequest(f"Password must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidRequest(f"Password must be at most {MAX_PASSWORD} characters")
    if not password.strip():
        raise InvalidRequest("Password must not be only whitespace")
    folded = password.casefold()
    guessable = {c.casefold() for c in context if c} | {
        c.casefold().partition("@")[0] for c in context if "@" in c}
    if folded in common or folded in guessable:
        raise InvalidRequest("Password is too common or too easy to guess; choose another")
