"""Users: buyers book seats, sellers create events."""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"


@dataclass(frozen=True)
class User:
    """A registered account; `password_hash` never leaves the service."""

    id: int
    email: str
    name: str
    role: Role
    password_hash: str = ""


@dataclass(frozen=True)
class Principal:
    """Who is calling, as proven by their token."""

    user_id: int
    role: Role
