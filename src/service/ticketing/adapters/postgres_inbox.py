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

Bookings of an event with per-buyer limits (spec/booking.md, rules 11–12) take a longer
statement, still one per batch and without a transaction around it: it locks the counters
of the batch's (event, buyer) pairs in `buyer_holdings` in a fixed order and reads them as
committed (with the limits as PostgreSQL has them now), admits each pair's requests in
arrival order, and inserts those that fit; the others are refused, each alone. A counter row
is locked only for that statement, and the triggers on `bookings` keep it equal to the
buyer's bookings in `lifecycle.LIMIT_COUNTED` whoever moves them (spec/decisions.md,
"Per-buyer limits are counted in buyer_holdings, kept by triggers").
"""

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from src.platform.batching import Coalescer
from src.platform.db import UNAVAILABLE
from src.service.lifecycle import INITIAL
from src.service.ticketing.adapters.postgres_holdings import LIMITS_BUYERS
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

# Bookings of a batch with per-buyer limits (spec/booking.md, rules 11–12), in one
# statement: lock and read the counters of the batch's (event, buyer) pairs whose event limits
# buyers (`held`: an upsert in sorted order, so two batches never wait for each other in a
# cycle; ON CONFLICT DO UPDATE waits for a counter's lock and then reads its latest committed
# value, not the statement's snapshot), walk each pair's requests in arrival order deciding
# what fits like `domain/sales.admit` (`walk`), claim the keys of what fits and insert it. The
# insert's trigger adds the stored bookings to the counters before the statement ends.
_ADMIT = f"""
WITH RECURSIVE b AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::int[], $6::int[],
                         $7::text[], $8::text[], $9::int[], $10::timestamptz[], $11::text[],
                         $13::bool[]) WITH ORDINALITY
        AS b(id, buyer, event, section, subsection, quantity, mode, seats, price, at, key,
             limited, ord)),
asked AS (
    SELECT ord, event, buyer, quantity,
           row_number() OVER (PARTITION BY event, buyer ORDER BY ord) AS n
    FROM b WHERE limited),
held AS (
    INSERT INTO buyer_holdings AS h (event_id, buyer_id)
    SELECT DISTINCT a.event, a.buyer FROM asked AS a JOIN events AS e ON e.id = a.event
    WHERE {LIMITS_BUYERS}
    ORDER BY a.event, a.buyer
    ON CONFLICT (event_id, buyer_id) DO UPDATE SET tickets = h.tickets
    RETURNING h.event_id, h.buyer_id, h.tickets, h.open_bookings),
walk AS (
    SELECT h.event_id AS event, h.buyer_id AS buyer, 0::bigint AS n, NULL::bigint AS ord,
           true AS fits, h.tickets, h.open_bookings,
           e.max_tickets_per_buyer AS max_tickets, e.one_open_booking_per_buyer AS one_open
    FROM held AS h JOIN events AS e ON e.id = h.event_id
    UNION ALL
    SELECT w.event, w.buyer, a.n, a.ord, s.fits,
           w.tickets + CASE WHEN s.fits THEN a.quantity ELSE 0 END,
           w.open_bookings + CASE WHEN s.fits THEN 1 ELSE 0 END, w.max_tickets, w.one_open
    FROM walk AS w
    JOIN asked AS a ON a.event = w.event AND a.buyer = w.buyer AND a.n = w.n + 1
    CROSS JOIN LATERAL (SELECT (NOT w.one_open OR w.open_bookings = 0)
                               AND (w.max_tickets IS NULL
                                    OR w.tickets + a.quantity <= w.max_tickets) AS fits) AS s),
kept AS (
    SELECT b.*, row_number() OVER (PARTITION BY b.buyer, b.key ORDER BY b.ord) AS nth
    FROM b WHERE NOT EXISTS (SELECT 1 FROM walk AS w WHERE w.ord = b.ord AND NOT w.fits)),
stored AS (
    {_INTO.format(key=', idempotency_key')}
    SELECT id, buyer, event, section, subsection, quantity, mode,
           string_to_array(seats, ','), price, '{INITIAL}', at, at, key
    FROM kept AS b
    WHERE b.key IS NULL OR (b.nth = 1 AND NOT {live_key_row("b", "$12")})
    ON CONFLICT (buyer_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING id)
SELECT w.ord, w.tickets, w.open_bookings, w.max_tickets, w.one_open, NULL::uuid AS id
FROM walk AS w WHERE NOT w.fits
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, s.id FROM stored AS s
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


def _over_limit(row: asyncpg.Record, quantity: int) -> Exception:
    """The refusal of a request `_ADMIT` found over its buyer's limit, worded by
    `domain/sales.admit` from what the buyer held when its turn came."""
    policy = SalesPolicy(max_tickets_per_buyer=row["max_tickets"],
                         one_open_booking_per_buyer=row["one_open"])
    try:
        admit(policy, Holding(row["tickets"], row["open_bookings"]), quantity)
    except DomainError as refusal:
        return refusal
    return RuntimeError(f"refused by the statement, admitted by the rule: {dict(row)}")


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
        return await self._store_limited(conn, items)

    async def _store_limited(
        self, conn: asyncpg.Connection, items: list[Item], clear_expired: bool = True
    ) -> list[Outcome]:
        """`_ADMIT`: one statement that locks and reads the buyers' counters, inserts what
        fits and refuses the rest, each with what its buyer held when its turn came; a taken
        key is resolved as in `_insert`, and a key held only by an expired booking (cleared
        then) is admitted once more (`clear_expired`)."""
        bookings = [b for b, _, _ in items]
        rows = await conn.fetch(_ADMIT, *_columns(bookings), [k for _, k, _ in items],
                                self._ttl_s, [limited for _, _, limited in items])
        refusals: dict[int, Outcome] = {
            r["ord"] - 1: _over_limit(r, bookings[r["ord"] - 1].quantity)
            for r in rows if r["ord"] is not None}
        inserted = {r["id"] for r in rows if r["id"] is not None}
        admitted = [i for i in range(len(items)) if i not in refusals]
        first: dict[tuple[int, str], int] = {}
        for i in admitted:
            booking, key, _ = items[i]
            if key is not None:
                first.setdefault((booking.buyer_id, key), i)
        rows_i = [i for i in admitted
                  if items[i][1] is None or first[items[i][0].buyer_id, str(items[i][1])] == i]

        async def again(part: list[Pair]) -> list[Outcome]:
            limited = {b.id: lim for b, _, lim in items}
            return await self._store_limited(conn, [(b, k, limited[b.id]) for b, k in part],
                                             clear_expired=False)

        pairs: list[Pair] = [(b, k) for b, k, _ in items]
        outcomes = await self._taken(conn, pairs, rows_i, inserted, again, clear_expired)
        outcomes.update(refusals)
        return [outcomes[i] if i in outcomes else _repeat(pairs, first, outcomes, i)
                for i in range(len(items))]

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

        async def again(part: list[Pair]) -> list[Outcome]:
            return await self._halving(
                conn, part, lambda p: self._insert(conn, p, clear_expired=False))

        outcomes = await self._taken(conn, items, rows, {r["id"] for r in stored}, again,
                                     clear_expired)
        return [outcomes[i] if i in outcomes else _repeat(items, first, outcomes, i)
                for i in range(len(items))]

    async def _taken(
        self, conn: asyncpg.Connection, items: list[Pair], rows: list[int],
        inserted: set[object], again: Callable[[list[Pair]], Awaitable[list[Outcome]]],
        clear_expired: bool,
    ) -> dict[int, Outcome]:
        """The outcome of each item `rows` sent to the statement: None when stored; else what
        its key stands for (`TAKEN`: one more statement, only then); a key that only an
        expired booking held (cleared by `TAKEN`) is tried once more by `again`."""
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
                outcomes.update(zip(stale, await again([items[i] for i in stale]), strict=True))
            else:  # gone between the two statements (expired meanwhile): the client may retry
                outcomes.update((i, Unavailable(f"idempotency key of {items[i][0].id} moved"))
                                for i in stale)
        return outcomes

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
