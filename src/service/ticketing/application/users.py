"""User use cases: register, log in, look up."""

from dataclasses import dataclass

from src.service.ticketing.application.ports import PasswordHasher, TokenCodec, UnitOfWorkFactory
from src.service.ticketing.domain.errors import InvalidRequest, NotAuthenticated, NotFound
from src.service.ticketing.domain.user import Role, User

MIN_PASSWORD = 8


@dataclass(frozen=True)
class Users:
    """Registration and login; passwords are hashed by the `PasswordHasher` port."""

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    tokens: TokenCodec

    async def register(self, email: str, password: str, name: str, role: Role) -> User:
        """A new buyer or seller; raises `InvalidRequest` for a short password or taken
        e-mail."""
        if len(password) < MIN_PASSWORD:
            raise InvalidRequest(f"Password must be at least {MIN_PASSWORD} characters")
        password_hash = await self.hasher.hash(password)
        async with self.uow() as uow:
            return await uow.users.add(email.strip().lower(), name.strip(), password_hash, role)

    async def login(self, email: str, password: str) -> tuple[User, str]:
        """(user, JWT); raises `NotAuthenticated` on a wrong e-mail or password."""
        async with self.uow() as uow:
            user = await uow.users.by_email(email.strip().lower())
        if user is None or not await self.hasher.verify(user.password_hash, password):
            raise NotAuthenticated("Invalid email or password")
        return user, self.tokens.issue(user)

    async def get(self, user_id: int) -> User:
        """The user; raises `NotFound` (e.g. a token for a deleted account)."""
        async with self.uow() as uow:
            user = await uow.users.by_id(user_id)
        if user is None:
            raise NotFound("User not found")
        return user
