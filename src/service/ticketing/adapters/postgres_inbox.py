"""Group commit of new bookings: the accept path's one PostgreSQL write (spec/architecture.md,
guarantee 1)."""

import asyncpg

from src.platform.batching import Coalescer
from src.service.lifecycle import INITIAL
from src.service.ticketing.adapters.postgres import CONNECTION_ERRORS
from src.service.ticketing.application.ports import Unavailable
from src.service.ticketing.domain.booking import Booking

_INSERT = f"""
INSERT INTO bookings (id, buyer_id, event_id, section, subsection, quantity,
                      seat_selection_mode, seat_positions, total_price, status,
                      created_at, updated_at)
SELECT id, buyer, event, section, subsection, quantity, mode,
       string_to_array(seats, ','), price, '{INITIAL}', at, at
FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::int[], $6::int[], $7::text[],
            $8::text[], $9::int[], $10::timestamptz[])
     AS b(id, buyer, event, section, subsection, quantity, mode, seats, price, at)
"""


class PostgresBookingInbox:
    """Inserts the bookings of every concurrent request in one statement and one commit, so a
    burst of buyers costs one round trip and one WAL flush instead of one each."""

    def __init__(self, pool: asyncpg.Pool, max_batch: int = 1000) -> None:
        self._pool = pool
        self._coalescer: Coalescer[Booking, None] = Coalescer(self._insert, max_batch)

    async def add(self, booking: Booking) -> None:
        """Store `booking`, committed, together with every booking added meanwhile."""
        await self._coalescer.submit(booking)

    async def _insert(self, bookings: list[Booking]) -> list[None]:
        columns = list(zip(*(
            (b.id, b.buyer_id, b.event_id, b.section, b.subsection, b.quantity,
             b.seat_selection_mode.value, ",".join(map(str, b.seat_positions)), b.total_price,
             b.created_at)
            for b in bookings
        ), strict=True))
        try:
            async with self._pool.acquire() as conn:
                await conn.execute(_INSERT, *columns)
        except CONNECTION_ERRORS as e:
            raise Unavailable("database unavailable") from e
        return [None] * len(bookings)
