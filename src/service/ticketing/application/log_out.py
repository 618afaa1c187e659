"""Use case: log out, which ends every session of the account (spec/security.md,
"Sessions")."""

from dataclasses import dataclass

from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.application.sessions import AccountStates
from src.service.ticketing.domain.user import Principal


@dataclass(frozen=True)
class LogOut:
    """Raise the account's token version, so that every token it holds is refused: at once
    by this process, by the others within their account cache's TTL."""

    uow: UnitOfWorkFactory
    accounts: AccountStates

    async def __call__(self, principal: Principal) -> None:
        """Revoke the caller's tokens."""
        async with self.uow() as uow:
            await uow.users.revoke_sessions(principal.user_id)
        self.accounts.forget(principal.user_id)
