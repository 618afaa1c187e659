"""Use case: create a buyer or seller account (spec/security.md, "Passwords")."""

from dataclasses import dataclass

from src.service.ticketing.application.ports import (
    Limit,
    PasswordBlocklist,
    PasswordHasher,
    RateLimiter,
    UnitOfWorkFactory,
)
from src.service.ticketing.domain.errors import Forbidden
from src.service.ticketing.domain.passwords import check_new_password
from src.service.ticketing.domain.user import Role, User


@dataclass(frozen=True)
class RegisterUser:
    """The password must pass `check_new_password` and is hashed by the `PasswordHasher`
    port; e-mails arrive syntax-checked from the entrypoint and are stored lower-case."""

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    common: PasswordBlocklist
    limiter: RateLimiter
    sellers_may_sign_up: bool = True

    async def __call__(
        self, email: str, password: str, name: str, role: Role, client: str = ""
    ) -> User:
        """The new user, signed up from address `client`; raises `TooManyRequests` over the
        per-address limit (every attempt counts), `Forbidden` for a seller while seller
        sign-up is closed, `InvalidRequest` for a password that may not be chosen or a taken
        e-mail."""
        await self.limiter.acquire(Limit.REGISTER_ADDRESS, client)
        if role is Role.SELLER and not self.sellers_may_sign_up:
            raise Forbidden("Seller sign-up is closed")
        email, name = email.strip().lower(), name.strip()
        check_new_password(password, self.common, email, name)
        password_hash = await self.hasher.hash(password)
        async with self.uow() as uow:
            return await uow.users.add(email, name, password_hash, role)
