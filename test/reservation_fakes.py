"""Hand-written fakes of the reservation ports, and command factories, for unit tests."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

from src.service.contract import (
    BookingCancelled,
    BookingCreated,
    ReleaseOnly,
    SubsectionConfig,
    SubsectionState,
)
from src.service.lifecycle import FINAL, HOLDING, BookingStatus
from src.service.reservation.application.allocate_batch import subsection_of
from src.service.reservation.application.batches import BatchReport, Command
from src.service.reservation.application.ports import (
    UNCHECKED,
    BookingState,
    GenerationStep,
    GroupAllocation,
    LedgerResult,
    MapState,
    SeatConflict,
    Settlement,
    Snapshot,
    Stale,
    StaleSeatMap,
    Subsection,
    SubsectionId,
)
from src.service.reservation.bootstrap import Reservation
from src.service.reservation.domain.allocation import Allocation, AllocationStatus, SeatRequest
from src.service.reservation.domain.reasons import NOT_ENOUGH_SEATS, SEATS_TAKEN, WAS_CANCELLED
from src.service.seats import SeatPosition, parse_all
from test.seat_selection_model import best_available, manual

RELEASED: tuple[int, ...] = ()  # the fake's tombstone; a held entry is never empty


def created(
    event_id: int = 1, section: str = "A", subsection: int = 1, quantity: int = 2,
    positions: Sequence[str] = (), rows: int = 2, cols: int = 3, price: int = 100,
    buyer_id: int = 7,
) -> BookingCreated:
    """A BookingCreated with a fresh booking id; manual when `positions` are given."""
    return BookingCreated(
        booking_id=uuid.uuid4(), buyer_id=buyer_id, event_id=event_id, section=section,
        subsection=subsection, quantity=len(positions) or quantity,
        seat_selection_mode="manual" if positions else "best_available",
        seat_positions=list(positions), total_price=price * (len(positions) or quantity),
        config=SubsectionConfig(rows=rows, cols=cols, price=price),
        occurred_at=datetime.now(UTC),
    )


async def settle(app: Reservation, commands: Sequence[Command]) -> BatchReport:
    """Both steps of a batch, one after the other (healing between), as the pipeline runs
    them."""
    return await app.record(await app.heal(commands, await app.allocate(commands)))


def seat_positions(*texts: str) -> tuple[SeatPosition, ...]:
    """`"row-seat"` texts as positions."""
    return parse_all(texts)


def cancelled(command: BookingCreated, only: Sequence[str] | None = None) -> BookingCancelled:
    """The BookingCancelled matching a BookingCreated; with `only`, a partial release of those
    seats (a refund)."""
    return BookingCancelled(
        booking_id=command.booking_id, buyer_id=command.buyer_id, event_id=command.event_id,
        section=command.section, subsection=command.subsection, seat_positions=[],
        cancelled_at=datetime.now(UTC),
        only=None if only is None else ReleaseOnly(seat_positions=list(only),
                                                   cols=command.config.cols),
    )


class FakeSeatMap:
    """In-memory seat map with the Lua scripts' semantics, generations included; records every
    call in order."""

    def __init__(self) -> None:
        self.taken: dict[str, list[int]] = {}
        self.alloc: dict[str, dict[UUID, tuple[int, ...]]] = defaultdict(dict)
        self.gens: dict[str, int] = {}  # a missing generation is 0
        self.calls: list[tuple[str, str, list[UUID]]] = []
        self.round_trips: list[list[str]] = []  # subsections of each allocate_many

    def _stale(self, tag: str, generation: int) -> Stale | None:
        """The scripts' check: a map at another generation than expected changes nothing."""
        if generation < 0:
            return None
        if self.gens.get(tag, 0) != generation:
            return Stale(self.gens.get(tag, 0))
        self.gens[tag] = generation + 1
        return None

    async def allocate(
        self, where: Subsection, requests: Sequence[SeatRequest], generation: int = UNCHECKED
    ) -> GroupAllocation | Stale:
        self.calls.append(("allocate", where.tag, [r.booking_id for r in requests]))
        if stale := self._stale(where.tag, generation):
            return stale
        taken = self.taken.setdefault(where.tag, [0] * (where.rows * where.cols))
        alloc = self.alloc[where.tag]
        out = []
        for r in requests:
            if r.booking_id in alloc:
                held = alloc[r.booking_id]
                out.append(
                    Allocation(r.booking_id, AllocationStatus.REPLAYED, held) if held
                    else Allocation(r.booking_id, AllocationStatus.RELEASED, reason=WAS_CANCELLED)
                )
                continue
            seats = self._select(taken, where, r)
            if seats is None:
                reason = SEATS_TAKEN if r.mode == "manual" else NOT_ENOUGH_SEATS
                out.append(Allocation(r.booking_id, AllocationStatus.REFUSED, reason=reason))
                continue
            for i in seats:
                taken[i] = 1
            alloc[r.booking_id] = tuple(seats)
            out.append(Allocation(r.booking_id, AllocationStatus.ALLOCATED, tuple(seats)))
        return GroupAllocation(out, taken.count(0))

    async def allocate_many(
        self, groups: Sequence[tuple[Subsection, Sequence[SeatRequest]]],
        generations: Sequence[int] | None = None,
    ) -> list[GroupAllocation | Stale]:
        self.round_trips.append([where.tag for where, _ in groups])
        gens = generations or [UNCHECKED] * len(groups)
        return [await self.allocate(w, requests, g)
                for (w, requests), g in zip(groups, gens, strict=True)]

    @staticmethod
    def _select(taken: list[int], where: Subsection, r: SeatRequest) -> list[int] | None:
        if r.mode == "best_available":
            return best_available(taken, where.rows, where.cols, r.quantity)
        ok = len(r.seats) == r.quantity and manual(taken, r.seats)
        return sorted(r.seats) if ok else None

    async def release(
        self, tag: str, booking_ids: Sequence[UUID], generation: int = UNCHECKED, only=None
    ) -> int | Stale:
        self.calls.append(("release", tag, list(booking_ids)))
        if stale := self._stale(tag, generation):
            return stale
        freed = 0
        for booking_id, bits in zip(booking_ids, only or [None] * len(booking_ids), strict=True):
            held = self.alloc[tag].get(booking_id)
            if bits is not None and not held:
                continue  # a partial release of a booking with no record changes nothing
            gone = [i for i in held or () if bits is None or i in bits]
            for i in gone:
                self.taken[tag][i] = 0
            freed += len(gone)
            self.alloc[tag][booking_id] = tuple(i for i in held or () if i not in gone)
        return freed

    async def release_many(
        self, groups: Sequence[tuple[str, Sequence[UUID]]], generations: Sequence[int],
        only=None,
    ) -> list[int | Stale]:
        parts = only or [None] * len(groups)
        return [await (self.release(tag, ids, g) if bits is None
                       else self.release(tag, ids, g, only=bits))
                for (tag, ids), g, bits in zip(groups, generations, parts, strict=True)]

    async def restore(self, snapshots: Sequence[Snapshot]) -> None:
        for snapshot in snapshots:
            where = snapshot.subsection
            self.calls.append(("restore", where.tag, list(snapshot.holdings)))
            taken = [0] * (where.rows * where.cols)
            for seats in snapshot.holdings.values():
                for i in seats:
                    taken[i] = 1
            self.taken[where.tag] = taken
            self.alloc[where.tag] = {**dict(snapshot.holdings),
                                     **{b: RELEASED for b in snapshot.released}}
            self.gens[where.tag] = snapshot.generation

    async def states(self, tags: Sequence[str]) -> list[MapState]:
        return [MapState(self.gens.get(t, 0),
                         self.taken[t].count(0) if t in self.taken else None) for t in tags]

    def flush(self) -> None:
        """FLUSHALL: every key gone."""
        self.taken.clear()
        self.alloc.clear()
        self.gens.clear()

    def held(self, tag: str) -> list[int]:
        """Indexes of the bits set in a subsection."""
        return [i for i, bit in enumerate(self.taken.get(tag, [])) if bit]


class FakeBookingLedger:
    """Bookings in a dict, with the compare-and-set rules of the PostgreSQL adapter: each
    settlement's transition (`hold` or `refuse`) moves a booking only from its sources, each
    generation step only from its base. A subsection exists (at generation 0 at first) once a
    booking of it is added."""

    def __init__(self, broken: Sequence[UUID] = ()) -> None:
        """`broken`: bookings whose hold fails with an error that is not the cache's."""
        self.bookings: dict[UUID, BookingState] = {}
        self.transactions = 0
        self.broken = set(broken)
        self.gens: dict[SubsectionId, int] = defaultdict(int)
        self.shapes: dict[SubsectionId, Subsection] = {}
        self.where: dict[UUID, SubsectionId] = {}

    def add(
        self, command: BookingCreated, status: BookingStatus = BookingStatus.PROCESSING
    ) -> None:
        """Store the booking a command is about, as the ticketing service would have."""
        self.bookings[command.booking_id] = BookingState(
            command.booking_id, command.buyer_id, command.event_id, status, (), 0, None, False
        )
        shape = subsection_of(command)
        self.shapes[shape.id] = shape
        self.where[command.booking_id] = shape.id

    def hold(self, command: BookingCreated, *positions: str) -> None:
        """A booking PostgreSQL holds seats for (the seat map may not know)."""
        self.add(command, BookingStatus.PENDING_PAYMENT)
        state = self.bookings[command.booking_id]
        self.bookings[command.booking_id] = replace(state, seat_positions=parse_all(positions))

    def _taken(self, s: Settlement) -> bool:
        where = SubsectionId(s.event_id, s.section, s.subsection)
        held = {p for b in self.bookings.values() if b.status in HOLDING
                and self.where.get(b.booking_id) == where and b.booking_id != s.booking_id
                for p in b.seat_positions}
        return bool(held & set(s.seat_positions))

    async def settle(
        self, settlements: Sequence[Settlement], steps: Sequence[GenerationStep] = ()
    ) -> LedgerResult:
        if self.broken & {s.booking_id for s in settlements if s.seat_positions}:
            raise RuntimeError("a bug")
        moving = [s for s in settlements if s.booking_id in self.bookings
                  and s.transition.allows(self.bookings[s.booking_id].status)]
        if any(self._taken(s) for s in moving):
            raise SeatConflict("a seat to reserve was not available")
        if any(self.gens[step.where] != step.base for step in steps):
            raise StaleSeatMap("seat map generation moved")
        self.transactions += 1
        for step in steps:
            self.gens[step.where] = step.new
        changed = {s.booking_id for s in settlements if self._move(s)}
        states = {
            s.booking_id: replace(self.bookings[s.booking_id], changed=s.booking_id in changed)
            for s in settlements if s.booking_id in self.bookings
        }
        counts = [
            SubsectionState(event_id=s.event_id, section=s.section, subsection=s.subsection,
                            available=0, reserved=len(s.seat_positions), sold=0)
            for s in settlements if s.booking_id in changed and s.seat_positions
        ]
        return LedgerResult(states, counts)

    def _move(self, s: Settlement) -> bool:
        state = self.bookings.get(s.booking_id)
        if state is None or not s.transition.allows(state.status):
            return False
        if s.seat_positions:
            state = replace(state, seat_positions=s.seat_positions, total_price=s.total_price)
        self.bookings[s.booking_id] = replace(
            state, status=s.transition.target, failure_reason=s.failure_reason
        )
        return True

    async def generations(self, ids: Sequence[SubsectionId]) -> dict[SubsectionId, int]:
        return {i: self.gens[i] for i in ids if i in self.shapes}

    async def rebuild(self, ids: Sequence[SubsectionId]) -> list[Snapshot]:
        out = []
        for i in ids:
            if i in self.shapes:
                self.gens[i] += 1
                out.append(self.snapshot(i))
        return out

    def snapshot(self, where: SubsectionId) -> Snapshot:
        """The subsection as PostgreSQL has it: seats of holding bookings, tombstones of the
        others that ended."""
        shape, mine = self.shapes[where], [b for b in self.bookings.values()
                                           if self.where.get(b.booking_id) == where]
        holdings = {b.booking_id: tuple(sorted(p.index(shape.cols) for p in b.seat_positions))
                    for b in mine if b.status in HOLDING}
        released = tuple(b.booking_id for b in mine if b.status in FINAL - HOLDING)
        free = shape.rows * shape.cols - sum(len(s) for s in holdings.values())
        return Snapshot(shape, free, holdings, released, self.gens[where])

    async def subsections(self, event_id: int | None = None) -> list[SubsectionId]:
        return [i for i in self.shapes if event_id in (None, i.event_id)]

    async def audit(self) -> dict[SubsectionId, MapState]:
        return {i: MapState(self.gens[i], self.snapshot(i).available) for i in self.shapes}
