"""Kvrocks adapters: the seat map (Lua scripts) and the status publisher (pub/sub).

Scripts run by EVALSHA, loading the script on NOSCRIPT (redis-py's `register_script`, or our
own pipelined loop for a batch's allocations); each passes every key in KEYS and the keys of
one subsection share a hash tag (spec/architecture.md, "Kvrocks rules"). This service is the
only writer of those keys, and creates them lazily ("Ownership"). Seat positions become their
`"row-seat"` text for the pub/sub payloads here.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError, NoScriptError, TimeoutError

from src.service.contract import (
    SubsectionState,
    alloc_key,
    avail_key,
    booking_status_channel,
    cursor_key,
    encode,
    event_state_channel,
    gen_key,
    seats_key,
    status_update_json,
)
from src.service.reservation.application.ports import (
    UNCHECKED,
    BookingState,
    GroupAllocation,
    MapState,
    Snapshot,
    Stale,
    Subsection,
    Unavailable,
)
from src.service.reservation.domain.allocation import (
    HOLDS_SEATS,
    Allocation,
    AllocationStatus,
    SeatRequest,
)
from src.service.seats import format_all

_HERE = Path(__file__).parent
# Scripts that change a subsection begin with the one generation check (spec/architecture.md,
# guarantee 7).
_CHECKED = (_HERE / "generation.lua").read_text()
ALLOCATE_LUA = _CHECKED + (_HERE / "allocate.lua").read_text()
RELEASE_LUA = _CHECKED + (_HERE / "release.lua").read_text()
RESTORE_LUA = (_HERE / "restore.lua").read_text()


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except (ConnectionError, TimeoutError, OSError) as e:
        raise Unavailable(f"kvrocks: {e!r}") from e


def subsection_keys(tag: str) -> list[str]:
    """KEYS of every seat-map script: seats bitfield, alloc hash, avail counter, row cursor,
    generation."""
    return [seats_key(tag), alloc_key(tag), avail_key(tag), cursor_key(tag), gen_key(tag)]


def _text(value: bytes | str | int) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# allocate.lua's outcome words, as the client returns them (bytes) or as text.
_OUTCOMES: dict[bytes | str, AllocationStatus] = {
    **{s.value.encode(): s for s in AllocationStatus}, **{s.value: s for s in AllocationStatus}
}


def _indexes(csv: str) -> tuple[int, ...]:
    return tuple(int(i) for i in csv.split(",") if i)


_STALE = (b"stale", "stale")


def _allocate_args(
    where: Subsection, requests: Sequence[SeatRequest], generation: int
) -> list[str | int]:
    args: list[str | int] = [generation, where.rows, where.cols]
    for r in requests:
        args += [str(r.booking_id), r.mode, r.quantity, ",".join(map(str, r.seats))]
    return args


def _group(requests: Sequence[SeatRequest], reply: list) -> GroupAllocation | Stale:
    """Decode allocate.lua's reply: (status, detail) per request, then the free-seat count; or
    ('stale', generation)."""
    if reply[0] in _STALE:
        return Stale(int(reply[1]))
    allocations = []
    for r, word, detail in zip(requests, reply[0:-1:2], reply[1:-1:2], strict=True):
        status, text = _OUTCOMES[word], _text(detail)
        if status in HOLDS_SEATS:
            allocations.append(Allocation(r.booking_id, status, _indexes(text)))
        else:
            allocations.append(Allocation(r.booking_id, status, reason=text))
    return GroupAllocation(allocations, int(reply[-1]))


class RedisSeatMap:
    """Seat map kept in Kvrocks: one bitfield, alloc hash and avail counter per subsection."""

    def __init__(self, client: Redis):
        self._client = client
        self._allocate = client.register_script(ALLOCATE_LUA)
        self._release = client.register_script(RELEASE_LUA)
        self._restore = client.register_script(RESTORE_LUA)

    async def allocate(
        self, where: Subsection, requests: Sequence[SeatRequest], generation: int = UNCHECKED
    ) -> GroupAllocation | Stale:
        """Allocate for each request in order, in one atomic script call."""
        (group,) = await self.allocate_many([(where, requests)], [generation])
        return group

    async def allocate_many(
        self, groups: Sequence[tuple[Subsection, Sequence[SeatRequest]]],
        generations: Sequence[int] | None = None,
    ) -> list[GroupAllocation | Stale]:
        """One atomic script call per group (distinct subsections), all in one pipelined round
        trip; calls the server had no script for yet are sent again after `SCRIPT LOAD`."""
        gens = generations or [UNCHECKED] * len(groups)
        calls = [(subsection_keys(w.tag), _allocate_args(w, requests, g))
                 for (w, requests), g in zip(groups, gens, strict=True)]
        replies = await self._evalsha(self._allocate, calls)
        return [_group(r, reply) for (_, r), reply in zip(groups, replies, strict=True)]

    async def _evalsha(self, script: AsyncScript, calls: list[tuple[list, list]]) -> list:
        replies = await self._pipelined(script.sha, calls)
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:
            with _translated():
                await self._client.script_load(script.script)
            again = await self._pipelined(script.sha, [calls[i] for i in missing])
            for i, reply in zip(missing, again, strict=True):
                replies[i] = reply
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

    async def _pipelined(self, sha: str, calls: list[tuple[list, list]]) -> list:
        pipe = self._client.pipeline(transaction=False)
        for keys, args in calls:
            pipe.execute_command("EVALSHA", sha, len(keys), *keys, *args)
        with _translated():
            return await pipe.execute(raise_on_error=False)

    async def release(
        self, tag: str, booking_ids: Sequence[UUID], generation: int = UNCHECKED,
        only: Sequence[tuple[int, ...] | None] | None = None,
    ) -> int | Stale:
        """Free the seats each booking holds and leave its tombstone, or with `only` just the
        named bits; returns seats freed. A missing free-seat counter stays missing (the next
        allocation recounts it)."""
        (freed,) = await self.release_many([(tag, booking_ids)], [generation], [only])
        return freed

    async def release_many(
        self, groups: Sequence[tuple[str, Sequence[UUID]]], generations: Sequence[int],
        only: Sequence[Sequence[tuple[int, ...] | None] | None] | None = None,
    ) -> list[int | Stale]:
        """One release script call per group (distinct subsections), in one round trip; a
        booking with bits in `only` is passed as `"id:i,j"` (release.lua frees just those)."""
        parts = only or [None] * len(groups)
        calls = [(subsection_keys(tag), [g, *_release_args(ids, bits)])
                 for (tag, ids), g, bits in zip(groups, generations, parts, strict=True)]
        replies = await self._evalsha(self._release, calls)
        return [Stale(int(r[1])) if r[0] in _STALE else int(r[0]) for r in replies]

    async def restore(self, snapshots: Sequence[Snapshot]) -> None:
        """Replace each subsection's bits, counter, allocations and generation with its
        snapshot, one atomic script call each, all in one round trip."""
        await self._evalsha(self._restore, [_restore_call(s) for s in snapshots])

    async def states(self, tags: Sequence[str]) -> list[MapState]:
        """Generation (missing = 0) and counter of each subsection, in one round trip."""
        pipe = self._client.pipeline(transaction=False)
        for tag in tags:
            pipe.get(gen_key(tag))
            pipe.get(avail_key(tag))
        with _translated():
            replies = await pipe.execute()
        pairs = zip(replies[0::2], replies[1::2], strict=True)
        return [MapState(int(g or 0), None if a is None else int(a)) for g, a in pairs]


def _release_args(
    booking_ids: Sequence[UUID], only: Sequence[tuple[int, ...] | None] | None
) -> list[str]:
    bits = only or [None] * len(booking_ids)
    return [str(b) if o is None else f"{b}:{','.join(map(str, o))}"
            for b, o in zip(booking_ids, bits, strict=True)]


def _restore_call(snapshot: Snapshot) -> tuple[list, list]:
    args: list[str | int] = [snapshot.generation, snapshot.available]
    for booking_id, seats in snapshot.holdings.items():
        args += [str(booking_id), ",".join(map(str, sorted(seats)))]
    for booking_id in snapshot.released:
        args += [str(booking_id), ""]
    return subsection_keys(snapshot.subsection.tag), args


class RedisStatusPublisher:
    """Publishes booking status and subsection counts on the channels the SSE streams read."""

    def __init__(self, client: Redis):
        self._client = client

    async def publish(
        self, bookings: Sequence[BookingState], subsections: Sequence[SubsectionState]
    ) -> None:
        """Publish everything in one pipelined round trip."""
        if not bookings and not subsections:
            return
        pipe = self._client.pipeline(transaction=False)
        for b in bookings:
            payload = status_update_json(b.booking_id, b.buyer_id, b.event_id, b.status,
                                         format_all(b.seat_positions), b.total_price,
                                         b.failure_reason, b.expires_at)
            pipe.execute_command("PUBLISH", booking_status_channel(b.buyer_id, b.event_id),
                                 payload)
        for state in subsections:
            pipe.publish(event_state_channel(state.event_id), encode(state))
        with _translated():
            await pipe.execute()
