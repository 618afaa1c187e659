"""Users: buyers book seats, sellers create events."""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"


@dataclass(frozen=True)
class User:
    """A registered account; `password_hash` never leaves the service. `token_version` is
    raised to revoke every token issued before (spec/security.md, "Sessions")."""

    id: int
    email: str
    name: str
    role: Role
    password_hash: str = ""
    token_version: int = 0
    is_active: bool = True


@dataclass(frozen=True)
class AccountState:
    """What authenticating a request needs to know about an account, as the database says
    it is now (not as a token claims it)."""

    user_id: int
    role: Role
    is_active: bool
    token_version: int


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's user, with the role the database gives them."""

    user_id: int
    role: Role
