"""Ports of the ticketing core for accounts: password hashing and the common-password list,
session tokens and account states, abuse limits (spec/security.md). `ports.py` re-exports
them with the other ports."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from src.service.ticketing.domain.user import AccountState, User


class PasswordHasher(Protocol):
    """Password hashing."""

    async def hash(self, password: str) -> str:
        """A salted hash of `password`."""

    async def verify(self, password_hash: str, password: str) -> bool:
        """True when `password` matches `password_hash`."""

    async def verify_absent(self, password: str) -> bool:
        """False, after as much work as `verify` does: the check for an account that does not
        exist, so that its answer takes as long as a wrong password's."""


class Limit(StrEnum):
    """The abuse limits, each counted per key: an account, a client address or a buyer
    (spec/security.md, "Abuse limits")."""

    LOGIN_ACCOUNT = "login_account"
    LOGIN_ADDRESS = "login_address"
    REGISTER_ADDRESS = "register_address"
    BOOKING_BUYER = "booking_buyer"


class RateLimiter(Protocol):
    """Counts attempts against the abuse limits."""

    async def acquire(self, limit: Limit, key: str) -> None:
        """Count one attempt of `key` against `limit` (a limit that is switched off counts
        nothing); raises `TooManyRequests` once `key` is over it, `Unavailable` when the
        counters cannot be reached."""


class PasswordBlocklist(Protocol):
    """Passwords too easy to guess (spec/security.md, "Passwords")."""

    def __contains__(self, password: object) -> bool:
        """True when `password` is on the list (case-insensitively)."""


class TokenCodec(Protocol):
    """Signed session tokens. They carry the user id and the user's `token_version`, never
    the role: that comes from the database (spec/security.md, "Sessions")."""

    def issue(self, user: User) -> str:
        """A token for `user` at its current `token_version`."""

    def read(self, token: str) -> tuple[int, int]:
        """(user id, token version); raises `NotAuthenticated` for a bad or expired token."""


class AccountLookup(Protocol):
    """The current state of accounts, for authenticating requests."""

    async def state(self, user_id: int) -> AccountState | None:
        """Role, active flag and token version of the user, or None when there is none."""
