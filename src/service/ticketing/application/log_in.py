"""Use case: log in with e-mail and password (spec/security.md, "Logins")."""

from dataclasses import dataclass

from src.service.ticketing.application.ports import (
    Limit,
    PasswordHasher,
    RateLimiter,
    TokenCodec,
    UnitOfWorkFactory,
)
from src.service.ticketing.domain.errors import Forbidden, NotAuthenticated
from src.service.ticketing.domain.user import User


@dataclass(frozen=True)
class LogIn:
    """Check the password and issue a session token. An unknown e-mail costs a password check
    too (`verify_absent`), so the answer's timing does not tell which e-mails have accounts;
    attempts are limited per client address and per account (spec/security.md, "Abuse
    limits")."""

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    tokens: TokenCodec
    limiter: RateLimiter

    async def __call__(self, email: str, password: str, client: str = "") -> tuple[User, str]:
        """(user, token) for a login from address `client`; raises `TooManyRequests` over
        the per-address or per-account limit (every attempt counts), `NotAuthenticated` on a
        wrong e-mail or password, `Forbidden` for a disabled account."""
        email = email.strip().lower()
        await self.limiter.acquire(Limit.LOGIN_ADDRESS, client)
        await self.limiter.acquire(Limit.LOGIN_ACCOUNT, email)
        async with self.uow() as uow:
            user = await uow.users.by_email(email)
        if user is None:
            await self.hasher.verify_absent(password)
            raise NotAuthenticated("Invalid email or password")
        if not await self.hasher.verify(user.password_hash, password):
            raise NotAuthenticated("Invalid email or password")
        if not user.is_active:
            raise Forbidden("Account is disabled")
        return user, self.tokens.issue(user)
