"""Use case: a user changes their password, which ends their other sessions
(spec/security.md, "Sessions" and "Passwords")."""

from dataclasses import dataclass

from src.service.ticketing.application.authenticate import INVALID_TOKEN
from src.service.ticketing.application.ports import (
    Limit,
    PasswordBlocklist,
    PasswordHasher,
    RateLimiter,
    TokenCodec,
    UnitOfWorkFactory,
)
from src.service.ticketing.application.sessions import AccountStates
from src.service.ticketing.domain.errors import Forbidden, NotAuthenticated
from src.service.ticketing.domain.passwords import check_new_password
from src.service.ticketing.domain.user import Principal, User


@dataclass(frozen=True)
class ChangePassword:
    """Check the current password, store the new one (same rules as at sign-up) and raise
    the token version: every token issued before is revoked, and the caller gets a new one."""

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    tokens: TokenCodec
    accounts: AccountStates
    common: PasswordBlocklist
    limiter: RateLimiter

    async def __call__(self, principal: Principal, current: str, new: str) -> tuple[User, str]:
        """(user, new token). Raises `TooManyRequests` over the account's login limit,
        `Forbidden` for a wrong current password, `InvalidRequest` for a new one that may
        not be chosen."""
        async with self.uow() as uow:
            user = await uow.users.by_id(principal.user_id)
        if user is None:
            raise NotAuthenticated(INVALID_TOKEN)
        await self.limiter.acquire(Limit.LOGIN_ACCOUNT, user.email)  # guesses of `current`
        if not await self.hasher.verify(user.password_hash, current):
            raise Forbidden("Current password is incorrect")
        check_new_password(new, self.common, user.email, user.name)
        password_hash = await self.hasher.hash(new)
        async with self.uow() as uow:
            updated = await uow.users.set_password(user.id, password_hash)
        self.accounts.forget(user.id)
        if updated is None:
            raise NotAuthenticated(INVALID_TOKEN)
        return updated, self.tokens.issue(updated)
