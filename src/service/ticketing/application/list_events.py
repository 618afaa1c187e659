"""Use case: the public event list."""

from dataclasses import dataclass

from src.service.ticketing.application.ports import UnitOfWorkFactory
from src.service.ticketing.domain.event import Event


@dataclass(frozen=True)
class ListEvents:
    """Active events on sale, or all events of one seller."""

    uow: UnitOfWorkFactory

    async def __call__(self, seller_id: int | None = None) -> list[Event]:
        """The events, newest first (without per-subsection stats)."""
        async with self.uow() as uow:
            return await uow.events.find(seller_id)
