"""Use case: who am I."""

from dataclasses import dataclass

from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.errors import NotFound
from src.service.ticketing.domain.user import User


@dataclass(frozen=True)
class GetUser:
    """The account behind a token."""

    uow: UnitOfWorkFactory

    async def __call__(self, user_id: int) -> User:
        """The user; raises `NotFound` (e.g. a token of a deleted account)."""
        async with self.uow() as uow:
            user = await uow.users.by_id(user_id)
        if user is None:
            raise NotFound("User not found")
        return user
