"""Use case: create a buyer or seller account."""

from dataclasses import dataclass

from src.service.ticketing.application.ports import PasswordHasher, UnitOfWorkFactory
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.user import Role, User

MIN_PASSWORD = 8


@dataclass(frozen=True)
class RegisterUser:
    """Passwords are hashed by the `PasswordHasher` port; e-mails are stored lower-case."""

    uow: UnitOfWorkFactory
    hasher: PasswordHasher

    async def __call__(self, email: str, password: str, name: str, role: Role) -> User:
        """The new user; raises `InvalidRequest` for a short password or a taken e-mail."""
        if len(password) < MIN_PASSWORD:
            raise InvalidRequest(f"Password must be at least {MIN_PASSWORD} characters")
        password_hash = await self.hasher.hash(password)
        async with self.uow() as uow:
            return await uow.users.add(email.strip().lower(), name.strip(), password_hash, role)
