"""Use case: who is calling, from a session token (spec/security.md, "Sessions")."""

from dataclasses import dataclass

from src.service.ticketing.application.ports import TokenCodec
from src.service.ticketing.application.sessions import AccountStates
from src.service.ticketing.domain.errors import NotAuthenticated
from src.service.ticketing.domain.user import Principal

INVALID_TOKEN = "Invalid or expired token"


@dataclass(frozen=True)
class Authenticate:
    """A token is good while its signature and expiry check out, its user exists and is
    active, and its token version is the user's current one (a logout or password change
    raises it). The role is the database's, whatever the token says."""

    tokens: TokenCodec
    accounts: AccountStates

    async def __call__(self, token: str) -> Principal:
        """The caller; raises `NotAuthenticated`."""
        user_id, version = self.tokens.read(token)
        state = await self.accounts(user_id)
        if state is None or not state.is_active or state.token_version != version:
            raise NotAuthenticated(INVALID_TOKEN)
        return Principal(user_id=user_id, role=state.role)
