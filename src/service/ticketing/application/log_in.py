"""Use case: log in with e-mail and password (spec/security.md, "Logins")."""

from dataclasses import dataclass

from src.service.ticketing.application.ports import PasswordHasher, TokenCodec, UnitOfWorkFactory
from src.service.ticketing.domain.errors import Forbidden, NotAuthenticated
from src.service.ticketing.domain.user import User


@dataclass(frozen=True)
class LogIn:
    """Check the password and issue a session token. An unknown e-mail costs a password check
    too (`verify_absent`), so the answer's timing does not tell which e-mails have accounts."""

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    tokens: TokenCodec

    async def __call__(self, email: str, password: str) -> tuple[User, str]:
        """(user, token); raises `NotAuthenticated` on a wrong e-mail or password,
        `Forbidden` for a disabled account."""
        async with self.uow() as uow:
            user = await uow.users.by_email(email.strip().lower())
        if user is None:
            await self.hasher.verify_absent(password)
            raise NotAuthenticated("Invalid email or password")
        if not await self.hasher.verify(user.password_hash, password):
            raise NotAuthenticated("Invalid email or password")
        if not user.is_active:
            raise Forbidden("Account is disabled")
        return user, self.tokens.issue(user)
