"""Group commit of new bookings: the accept path's one PostgreSQL write (spec/architecture.md,
guarantees 1, 5 and 9).

Concurrent requests share one statement. Without Idempotency-Keys it is a plain set-wise
INSERT. With keys, the key is a column of its booking (`bookings.idempotency_key`, migration
0011): the same one INSERT claims it through the partial unique index on (buyer_id,
idempotency_key) with `ON CONFLICT DO NOTHING`, so key and booking commit together as one row.
A key repeated within one burst is sent once; its repeats get what its first request got.

The statement commits on its own, and what it stored is answered as stored whatever follows
(also when a split batch loses the database in its second half: only that half gets 503).
A request whose key was claimed already costs one more statement (`postgres_keys.TAKEN`): it
clears the key from a booking older than the TTL and reads what the live keys stand for; only
a key that was cleared costs one more insert. Should those follow-ups fail, only the requests
whose keys they resolve get a 503 (none of them was stored: the retry is safe). A row that
fails on its own (its buyer or event deleted meanwhile) fails only its request: the statement
is split in halves and retried until the bad rows stand alone.

Bookings of an event with per-buyer limits (spec/booking.md, rules 11–12) take a longer
statement, still one per batch and without a transaction around it: it locks the counters
of the batch's (event, buyer) pairs in `buyer_holdings` in a fixed order and reads them as
committed (with the limits as PostgreSQL has them now), admits each pair's new requests in
arrival order (a request under a claimed key asks for nothing new; one under a key only an
expired booking held is admitted after the rest of its burst, once `TAKEN` has cleared the
key), and inserts those that fit; the others are refused, each alone. A counter row is
locked only for that statement, and the triggers on `bookings` keep it equal to the buyer's
bookings in `lifecycle.LIMIT_COUNTED` whoever moves them (spec/decisions.md, "Per-buyer
limits are counted in buyer_holdings, kept by triggers").
"""

import logging
from collections.abc import Awaitable, Callable

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
Outcome = KeyUse | Exception | None  # stored (None), what its key stands for, or its refusal


class _KeyTaken:
    """A row the statement did not store because its key was claimed already."""


KEY_TAKEN = _KeyTaken()
Claim = Outcome | _KeyTaken  # what the statement did with one row
# Why a request got `Unavailable` (logged; the client gets the usual 503 and Retry-After): its
# key's booking moved between the statement and `TAKEN`, or `TAKEN` failed. The request's own
# booking was not stored, so its retry under the same key is safe.
KEY_UNRESOLVED = "the booking an Idempotency-Key stands for could not be read"
_FOLLOW_UP_FAILED = (asyncpg.PostgresError, *UNAVAILABLE)

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
# what fits like `domain/sales.admit` (`walk`), and insert what fits. A request whose key is
# claimed already (by a booking of any age, or live in `idempotency_keys`) asks for nothing
# new: it is neither counted nor inserted, and `TAKEN` resolves it after the statement. The
# insert's trigger adds the stored bookings to the counters before the statement ends.
_ADMIT = f"""
WITH RECURSIVE b AS (
    SELECT u.*, u.key IS NOT NULL AND (
               EXISTS (SELECT 1 FROM bookings o WHERE o.buyer_id = u.buyer
                       AND o.idempotency_key = u.key AND o.idempotency_key IS NOT NULL)
               OR {live_key_row("u", "$12")}) AS claimed
    FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::int[], $6::int[],
                $7::text[], $8::text[], $9::int[], $10::timestamptz[], $11::text[],
                $13::bool[]) WITH ORDINALITY
        AS u(id, buyer, event, section, subsection, quantity, mode, seats, price, at, key,
             limited, ord)),
asked AS (
    SELECT ord, event, buyer, quantity,
           row_number() OVER (PARTITION BY event, buyer ORDER BY ord) AS n
    FROM b WHERE limited AND NOT claimed),
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
stored AS (
    {_INTO.format(key=', idempotency_key')}
    SELECT id, buyer, event, section, subsection, quantity, mode,
           string_to_array(seats, ','), price, '{INITIAL}', at, at, key
    FROM b
    WHERE NOT claimed AND NOT EXISTS (SELECT 1 FROM walk AS w WHERE w.ord = b.ord AND NOT w.fits)
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


def _first_uses(items: list[Item]) -> dict[tuple[int, str], int]:
    """(buyer id, key) → index of the key's first request in `items`."""
    first: dict[tuple[int, str], int] = {}
    for i, (booking, key, _) in enumerate(items):
        if key is not None:
            first.setdefault((booking.buyer_id, key), i)
    return first


def _repeat(items: list[Item], first: dict[tuple[int, str], int],
            outcomes: dict[int, Outcome], i: int) -> Outcome:
    """What item `i`, a key repeated within one burst, stands for: what its first occurrence
    (index `first[buyer, key]`) did, its stored booking when that one was inserted."""
    booking, key, _ = items[i]
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
        """The outcome of each request: a key repeated within the burst is sent once and its
        repeats answered like its first request; the others go to `_claim_all`."""
        first = _first_uses(items)
        unique = [i for i, (b, k, _) in enumerate(items) if k is None or first[b.buyer_id, k] == i]
        outcomes = dict(zip(unique, await self._claim_all(conn, [items[i] for i in unique]),
                            strict=True))
        return [outcomes[i] if i in outcomes else _repeat(items, first, outcomes, i)
                for i in range(len(items))]

    async def _claim_all(
        self, conn: asyncpg.Connection, items: list[Item], clear_expired: bool = True
    ) -> list[Outcome]:
        """`_claim` in one statement (split in halves while a row of its own makes it fail),
        then the claimed keys resolved by `_resolve`. The statement commits what it stores:
        nothing after it fails those requests, so a failing follow-up concerns only the
        requests whose keys it resolves."""
        claims = await self._halving(conn, items, lambda part: self._claim(conn, part))
        taken = [i for i, claim in enumerate(claims) if isinstance(claim, _KeyTaken)]
        outcomes: list[Outcome] = [None if isinstance(c, _KeyTaken) else c for c in claims]
        if taken:
            resolved = await self._resolve(conn, [items[i] for i in taken], clear_expired)
            for i, outcome in zip(taken, resolved, strict=True):
                outcomes[i] = outcome
        return outcomes

    async def _claim(self, conn: asyncpg.Connection, items: list[Item]) -> list[Claim]:
        """One statement storing every row of `items` (keys unique per buyer) that may be
        stored: the plain insert (`_INSERT`, `_INSERT_KEYED`), or `_ADMIT` when an event of the
        batch limits buyers. Per row: None (stored), its refusal, or `KEY_TAKEN`."""
        bookings = [b for b, _, _ in items]
        keys = [k for _, k, _ in items]
        limited = [lim for _, _, lim in items]
        if any(limited):
            rows = await conn.fetch(_ADMIT, *_columns(bookings), keys, self._ttl_s, limited)
            refused = {r["ord"] - 1: r for r in rows if r["ord"] is not None}
            inserted = {r["id"] for r in rows if r["id"] is not None}
            return [_over_limit(refused[i], b.quantity) if i in refused
                    else None if k is None or b.id in inserted else KEY_TAKEN
                    for i, (b, k) in enumerate(zip(bookings, keys, strict=True))]
        if all(k is None for k in keys):
            await conn.execute(_INSERT, *_columns(bookings))
            return [None] * len(items)
        stored = {r["id"] for r in await conn.fetch(_INSERT_KEYED, *_columns(bookings), keys,
                                                     self._ttl_s)}
        return [None if k is None or b.id in stored else KEY_TAKEN
                for b, k in zip(bookings, keys, strict=True)]

    async def _resolve(
        self, conn: asyncpg.Connection, items: list[Item], clear_expired: bool
    ) -> list[Outcome]:
        """What each claimed key of `items` stands for (`TAKEN`, one statement). A key only
        an expired booking held is cleared by `TAKEN` and claimed once more (`clear_expired`);
        a key gone between the statements, or a failure of these follow-ups, answers
        `Unavailable` to those requests only: none of them was stored, so a retry is safe."""
        keys = [(b.buyer_id, str(k)) for b, k, _ in items]
        try:
            uses = uses_by_key(await conn.fetch(TAKEN, *_arrays(keys), self._ttl_s))
        except _FOLLOW_UP_FAILED as e:
            log.warning("idempotency_keys_unresolved count=%d error=%r", len(items), e)
            return [Unavailable(KEY_UNRESOLVED) for _ in items]
        outcomes: list[Outcome] = [uses.get(key) for key in keys]
        stale = [i for i, outcome in enumerate(outcomes) if outcome is None]
        if not stale:
            return outcomes
        again: list[Outcome] = [Unavailable(KEY_UNRESOLVED) for _ in stale]
        if clear_expired:  # its booking expired (and was cleared by TAKEN): claim it again
            try:
                again = await self._claim_all(conn, [items[i] for i in stale], False)
            except _FOLLOW_UP_FAILED as e:
                log.warning("idempotency_keys_unresolved count=%d error=%r", len(stale), e)
        for i, outcome in zip(stale, again, strict=True):
            outcomes[i] = outcome
        return outcomes

    async def _halving(
        self, conn: asyncpg.Connection, items: list[Item],
        attempt: Callable[[list[Item]], Awaitable[list[Claim]]],
    ) -> list[Claim]:
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
            return (await self._half(conn, items[:middle], attempt)
                    + await self._half(conn, items[middle:], attempt))

    async def _half(
        self, conn: asyncpg.Connection, part: list[Item],
        attempt: Callable[[list[Item]], Awaitable[list[Claim]]],
    ) -> list[Claim]:
        """`_halving` of one half of a split batch: the other half may have committed
        already, so losing the database here answers `Unavailable` to this half's requests
        only (whether their statement committed is unknown: a retry with the same key is
        safe)."""
        try:
            return await self._halving(conn, part, attempt)
        except UNAVAILABLE as e:
            if conn.is_in_transaction():
                raise
            log.warning("booking_batch_half_unavailable count=%d error=%r", len(part), e)
            return [Unavailable("database unavailable") for _ in part]

    async def _find(self, items: list[tuple[int, str]]) -> list[KeyUse | None]:
        try:
            async with self._pool.acquire(timeout=self._timeout_s) as conn:
                rows = await conn.fetch(USES, *_arrays(items), self._ttl_s)
        except UNAVAILABLE as e:
            raise Unavailable("database unavailable") from e
        uses = uses_by_key(rows)
        return [uses.get(item) for item in items]
