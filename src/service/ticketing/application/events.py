"""Event use cases: create with a seating layout, list, detail, seat list."""

from __future__ import annotations

from dataclasses import dataclass, field

from src.service.ticketing.application.ports import SeatInventory, UnitOfWorkFactory
from src.service.ticketing.domain.errors import Forbidden, InvalidRequest, NotFound
from src.service.ticketing.domain.event import Event
from src.service.ticketing.domain.seating import parse_seating_config
from src.service.ticketing.domain.user import Principal, Role


@dataclass
class EventCatalog:
    """Events and their layouts. Layouts never change, so events are cached once read."""

    uow: UnitOfWorkFactory
    inventory: SeatInventory
    _cache: dict[int, Event] = field(default_factory=dict)

    async def create(
        self, principal: Principal, name: str, description: str, venue_name: str,
        seating_config: object, is_active: bool = True,
    ) -> Event:
        """Store the event and its tickets, then open its seats in Kvrocks; if either step
        fails nothing of the event is left behind. Raises `Forbidden`, `InvalidRequest`."""
        if principal.role is not Role.SELLER:
            raise Forbidden("Only sellers can create events")
        if not name.strip():
            raise InvalidRequest("Event name must not be empty")
        config = parse_seating_config(seating_config)
        stored: Event | None = None
        try:
            async with self.uow() as uow:
                stored = await uow.events.add(
                    principal.user_id, name.strip(), description, venue_name, config, is_active
                )
                # Seats open inside the transaction: a Kvrocks failure rolls the event back.
                await self.inventory.open_event(stored)
        except BaseException:
            if stored is not None:
                await self.inventory.close_event(stored)
            raise
        return await self.get(stored.id)

    async def layout(self, event_id: int) -> Event:
        """The event without stats, from the cache; raises `NotFound`."""
        event = self._cache.get(event_id)
        if event is None:
            async with self.uow() as uow:
                event = await uow.events.get(event_id)
            if event is None:
                raise NotFound("Event not found")
            self._cache[event_id] = event
        return event

    async def get(self, event_id: int) -> Event:
        """The event with per-subsection available/reserved/sold; raises `NotFound`."""
        async with self.uow() as uow:
            event = await uow.events.get(event_id, with_stats=True)
        if event is None:
            raise NotFound("Event not found")
        return event

    async def list(self, seller_id: int | None = None) -> list[Event]:
        """Active events on sale, or all events of one seller."""
        async with self.uow() as uow:
            return await uow.events.list(seller_id)

    async def seats(self, event_id: int, section: str, subsection: int) -> list[dict]:
        """Every seat of one subsection with its status; raises `NotFound`."""
        event = await self.layout(event_id)
        sec = event.seating_config.section(section)
        if sec is None or not 1 <= subsection <= sec.subsections:
            raise NotFound("Section or subsection not found")
        async with self.uow() as uow:
            return await uow.events.seats(event_id, section, subsection)
