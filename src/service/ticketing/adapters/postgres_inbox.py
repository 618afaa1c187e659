"""Group commit of new bookings: the accept path's one PostgreSQL write (spec/architecture.md,
guarantees 1, 5 and 9).

Concurrent requests share one statement. Without Idempotency-Keys it is a plain set-wise
INSERT. With keys, the key is a column of its booking (`bookings.idempotency_key`, migration
0011): the same one INSERT claims it through the partial unique index on (buyer_id,
idempotency_key) with `ON CONFLICT DO NOTHING`, so key and booking commit together as one row.
A request whose key was taken costs one more statement (`postgres_keys.TAKEN`): it clears the
key from a booking older than the TTL and reads what the live keys stand for; only a key that
was cleared costs one more insert. A row that fails
on its own (its buyer or event deleted meanwhile) fails only its request: the batch is split
in halves and retried until the bad rows stand alone.

Bookings of an event with per-buyer limits (spec/booking.md, rules 11–12) take a longer way,
in one transaction: an advisory lock per (event, buyer) of the batch, taken in a fixed order,
then one read of what each buyer holds of the event (their bookings in
`lifecycle.LIMIT_COUNTED`, and the limits as PostgreSQL has them now), then the insert of the
requests that fit, in arrival order; the others are refused, each alone. The read comes in a
statement after the locks, so it sees every booking committed by whoever held a lock before
(spec/decisions.md, "Per-buyer limits are counted from the bookings").
"""

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from src.platform.batching import Coalescer
from src.platform.db import UNAVAILABLE
from src.service.lifecycle import INITIAL, LIMIT_COUNTED, OPEN, sql_in
from src.service.ticketing.adapters.postgres_keys import TAKEN, USES, live_key_row, uses_by_key
from src.service.ticketing.application.ports import Unavailable
from src.service.ticketing.domain.booking import Booking
from src.service.ticketing.domain.errors import DomainError, NotAuthenticated, NotFound
from src.service.ticketing.domain.idempotency import KeyUse, Operation
from src.service.ticketing.domain.sales import Holding, SalesPolicy, admit

log = logging.getLogger(__name__)
Item = tuple[Booking, str | None, bool]  # the booking, its key, whether its event limits buyers
Pair = tuple[Booking, str | None]  # the booking and its key
Outcome = KeyUse | Exception | None
T = TypeVar("T", Item, Pair)

_INTO = """INSERT INTO bookings (id, buyer_id, event_id, section, subsection, quantity,
                      seat_selection_mode, seat_positions, total_price, status,
                      created_at, updated_at{key})"""
_ROWS = f"""SELECT id, buyer, event, section, subsection, quantity, mode,
       string_to_array(seats, ','), price, '{INITIAL}', at, at{{key}}
FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::int[], $6::int[], $7::text[],
            $8::text[], $9::int[], $10::timestamptz[]{{keys}})
     AS b(id, buyer, event, section, subsection, quantity, mode, seats, price, at{{key}})"""
_INSERT = f"{_INTO.format(key='')}\n{_ROWS.format(keys='', key='')}"
# One statement, one row per booking: the key is a column of its booking, claimed by the
# partial unique index; a key live in `idempotency_keys` (a pay or cancel key) is not taken.
_INSERT_KEYED = f"""{_INTO.format(key=', idempotency_key')}
{_ROWS.format(keys=', $11::text[]', key=', key')}
WHERE b.key IS NULL OR NOT {live_key_row("b", "$12")}
ON CONFLICT (buyer_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING id"""

# The arrays come sorted from Python: every batch takes its locks in the same order, so two
# batches never wait for each other in a cycle.
_LOCK = "SELECT pg_advisory_xact_lock(e, b) FROM unnest($1::int[], $2::int[]) AS p(e, b)"
_HELD = f"""
SELECT p.e AS event_id, p.b AS buyer_id, e.max_tickets_per_buyer AS max_tickets,
       e.one_open_booking_per_buyer AS one_open,
       coalesce(sum(k.quantity), 0)::int AS tickets,
       count(k.id) FILTER (WHERE {sql_in('k.status', OPEN)})::int AS open_bookings
FROM unnest($1::int[], $2::int[]) AS p(e, b)
JOIN events e ON e.id = p.e
LEFT JOIN bookings k ON k.buyer_id = p.b AND k.event_id = p.e
     AND {sql_in('k.status', LIMIT_COUNTED)}
GROUP BY p.e, p.b, e.max_tickets_per_buyer, e.one_open_booking_per_buyer
"""


def _columns(bookings: list[Booking]) -> list[tuple[object, ...]]:
    return list(zip(*(
        (b.id, b.buyer_id, b.event_id, b.section, b.subsection, b.quantity,
         b.seat_selection_mode.value, ",".join(map(str, b.seat_positions)), b.total_price,
         b.created_at)
        for b in bookings
    ), strict=True))


def _arrays(keys: list[tuple[int, str]]) -> tuple[list[int], list[str]]:
    """(buyer ids, keys) as the two array parameters of `USES`."""
    return [b for b, _ in keys], [k for _, k in keys]


def _repeat(items: list[Pair], first: dict[tuple[int, str], int],
            outcomes: dict[int, Outcome], i: int) -> Outcome:
    """What item `i`, a key repeated within one burst, stands for: what its first occurrence
    (index `first[buyer, key]`) did, its stored booking when that one was inserted."""
    booking, key = items[i]
    j = first[booking.buyer_id, str(key)]
    outcome = outcomes[j]
    return KeyUse(Operation.CREATE, items[j][0]) if outcome is None else outcome


def _refusal(error: asyncpg.PostgresError) -> Exception:
    """What one request's own failing row means to its caller; anything unknown stays the
    error itself (a bug, answered 500 to that request only)."""
    if isinstance(error, asyncpg.ForeignKeyViolationError):
        constraint = error.constraint_name or ""
        if "buyer_id" in constraint:
            return NotAuthenticated("Not authenticated")
        if "event_id" in constraint:
            return NotFound("Event not found")
    return error


class PostgresBookingInbox:
    """Inserts the bookings of every concurrent request in one statement and one commit, so a
    burst of buyers costs one round trip and one WAL flush instead of one each. Keys live
    `key_ttl_s` seconds; a pooled connection is waited for `acquire_timeout_s` at most."""

    def __init__(self, pool: asyncpg.Pool, key_ttl_s: float = 86400.0,
                 acquire_timeout_s: float = 10.0, max_batch: int = 1000) -> None:
        self._pool, self._ttl_s, self._timeout_s = pool, key_ttl_s, acquire_timeout_s
        self._adds: Coalescer[Item, Outcome] = Coalescer(self._flush, max_batch)
        self._finds: Coalescer[tuple[int, str], KeyUse | None] = Coalescer(self._find, max_batch)

    async def add(
        self, booking: Booking, key: str | None = None, limited: bool = False
    ) -> KeyUse | None:
        """Store `booking` (with `key`), committed, together with every booking added
        meanwhile; or what `key` already stands for. `limited`: its event has per-buyer
        limits, checked atomically with the insert. Raises `NotAuthenticated`, `NotFound`,
        `Unavailable`, and for a limit `InvalidRequest` or `Conflict`."""
        outcome = await self._adds.submit((booking, key, limited))
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def find(self, buyer_id: int, key: str) -> KeyUse | None:
        """What the buyer's live key stands for, or None; one read per burst."""
        return await self._finds.submit((buyer_id, key))

    async def _flush(self, items: list[Item]) -> list[Outcome]:
        try:
            async with self._pool.acquire(timeout=self._timeout_s) as conn:
                return await self._store(conn, items)
        except UNAVAILABLE as e:
            raise Unavailable("database unavailable") from e

    async def _store(self, conn: asyncpg.Connection, items: list[Item]) -> list[Outcome]:
        """`_store_batch`, split in halves while a row of its own makes the statement fail."""
        return await self._halving(conn, items, lambda part: self._store_batch(conn, part))

    async def _store_batch(self, conn: asyncpg.Connection, items: list[Item]) -> list[Outcome]:
        if not any(limited for _, _, limited in items):
            return await self._insert(conn, [(b, k) for b, k, _ in items])
        async with conn.transaction():
            return await self._store_limited(conn, items)

    async def _store_limited(self, conn: asyncpg.Connection, items: list[Item]) -> list[Outcome]:
        """Lock, read what the buyers hold, insert what fits (in the caller's transaction)."""
        pairs = sorted({(b.event_id, b.buyer_id) for b, _, limited in items if limited})
        events, buyers = [e for e, _ in pairs], [b for _, b in pairs]
        await conn.execute(_LOCK, events, buyers)
        rows = await conn.fetch(_HELD, events, buyers)
        held = {(r["event_id"], r["buyer_id"]): Holding(r["tickets"], r["open_bookings"])
                for r in rows}
        policies = {(r["event_id"], r["buyer_id"]): SalesPolicy(
            max_tickets_per_buyer=r["max_tickets"], one_open_booking_per_buyer=r["one_open"])
            for r in rows}
        refusals: dict[int, Exception] = {}
        for i, (booking, _, limited) in enumerate(items):
            pair = (booking.event_id, booking.buyer_id)
            if not limited or pair not in policies:  # no such event: the insert says 404
                continue
            try:
                held[pair] = admit(policies[pair], held[pair], booking.quantity)
            except DomainError as refusal:
                refusals[i] = refusal
        admitted: list[Pair] = [(b, k) for i, (b, k, _) in enumerate(items) if i not in refusals]
        stored = iter(await self._insert(conn, admitted) if admitted else [])
        return [refusals[i] if i in refusals else next(stored) for i in range(len(items))]

    async def _insert(
        self, conn: asyncpg.Connection, items: list[Pair], clear_expired: bool = True
    ) -> list[Outcome]:
        """Insert `items` in one statement; a taken key costs one more (`TAKEN`), and a key
        that was only held by an expired booking one more insert (`clear_expired` once)."""
        if all(key is None for _, key in items):
            await conn.execute(_INSERT, *_columns([b for b, _ in items]))
            return [None] * len(items)
        first: dict[tuple[int, str], int] = {}
        for i, (booking, key) in enumerate(items):
            if key is not None:
                first.setdefault((booking.buyer_id, key), i)
        # A key repeated within the burst is claimed once; the repeats resolve to its booking.
        rows = [i for i, (b, k) in enumerate(items) if k is None or first[b.buyer_id, k] == i]
        stored = await conn.fetch(_INSERT_KEYED, *_columns([items[i][0] for i in rows]),
                                  [items[i][1] for i in rows], self._ttl_s)
        inserted = {r["id"] for r in stored}
        outcomes: dict[int, Outcome] = {
            i: None for i in rows if items[i][1] is None or items[i][0].id in inserted}
        taken = [i for i in rows if i not in outcomes]
        if taken:
            keys = [(items[i][0].buyer_id, str(items[i][1])) for i in taken]
            uses = uses_by_key(await conn.fetch(TAKEN, *_arrays(keys), self._ttl_s))
            stale = [i for i, key in zip(taken, keys, strict=True) if key not in uses]
            outcomes.update((i, uses[key]) for i, key in zip(taken, keys, strict=True)
                            if key in uses)
            if stale and clear_expired:  # its booking expired (and was cleared): insert again
                again = await self._halving(
                    conn, [items[i] for i in stale],
                    lambda part: self._insert(conn, part, clear_expired=False))
                outcomes.update(zip(stale, again, strict=True))
            else:  # gone between the two statements (expired meanwhile): the client may retry
                outcomes.update((i, Unavailable(f"idempotency key of {items[i][0].id} moved"))
                                for i in stale)
        return [outcomes[i] if i in outcomes else _repeat(items, first, outcomes, i)
                for i in range(len(items))]

    async def _halving(
        self, conn: asyncpg.Connection, items: list[T],
        attempt: Callable[[list[T]], Awaitable[list[Outcome]]],
    ) -> list[Outcome]:
        """`attempt(items)`, split in halves while a row of its own makes the statement fail,
        so such a row fails only its request. Inside a transaction the failure is re-raised:
        the transaction is lost and the caller's split starts it over."""
        try:
            return await attempt(items)
        except asyncpg.PostgresError as e:
            if isinstance(e, UNAVAILABLE) or conn.is_in_transaction():
                raise
            if len(items) == 1:
                log.warning("booking_refused booking_id=%s error=%r", items[0][0].id, e)
                return [_refusal(e)]
            middle = len(items) // 2
            return (await self._halving(conn, items[:middle], attempt)
                    + await self._halving(conn, items[middle:], attempt))

    async def _find(self, items: list[tuple[int, str]]) -> list[KeyUse | None]:
        try:
            async with self._pool.acquire(timeout=self._timeout_s) as conn:
                rows = await conn.fetch(USES, *_arrays(items), self._ttl_s)
        except UNAVAILABLE as e:
            raise Unavailable("database unavailable") from e
        uses = uses_by_key(rows)
        return [uses.get(item) for item in items]
