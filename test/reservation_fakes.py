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
from src.service.lifecycle import BookingStatus
from src.service.reservation.application.batches import BatchReport, Command
from src.service.reservation.application.ports import (
    BookingState,
    DeadLetter,
    GroupAllocation,
    LedgerResult,
    SeatConflict,
    Settlement,
    Snapshot,
    Subsection,
)
from src.service.reservation.bootstrap import Reservation
from src.service.reservation.domain.allocation import (
    NOT_ENOUGH_SEATS,
    SEATS_TAKEN,
    WAS_CANCELLED,
    Allocation,
    AllocationStatus,
    SeatRequest,
)
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
    """Both steps of a batch, one after the other, as the consumer's careful path runs them."""
    return await app.record(await app.allocate(commands))


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
    """In-memory seat map with the Lua scripts' semantics; records every call in order."""

    def __init__(self) -> None:
        self.taken: dict[str, list[int]] = {}
        self.alloc: dict[str, dict[UUID, tuple[int, ...]]] = defaultdict(dict)
        self.calls: list[tuple[str, str, list[UUID]]] = []
        self.round_trips: list[list[str]] = []  # subsections of each allocate_many

    async def allocate(self, where: Subsection, requests: Sequence[SeatRequest]) -> GroupAllocation:
        self.calls.append(("allocate", where.tag, [r.booking_id for r in requests]))
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
        self, groups: Sequence[tuple[Subsection, Sequence[SeatRequest]]]
    ) -> list[GroupAllocation]:
        self.round_trips.append([where.tag for where, _ in groups])
        return [await self.allocate(where, requests) for where, requests in groups]

    @staticmethod
    def _select(taken: list[int], where: Subsection, r: SeatRequest) -> list[int] | None:
        if r.mode == "best_available":
            return best_available(taken, where.rows, where.cols, r.quantity)
        ok = len(r.seats) == r.quantity and manual(taken, r.seats)
        return sorted(r.seats) if ok else None

    async def release(self, tag: str, booking_ids: Sequence[UUID], only=None) -> int:
        self.calls.append(("release", tag, list(booking_ids)))
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

    async def restore(self, snapshot: Snapshot) -> None:
        self.calls.append(("restore", snapshot.subsection.tag, list(snapshot.holdings)))

    def held(self, tag: str) -> list[int]:
        """Indexes of the bits set in a subsection."""
        return [i for i, bit in enumerate(self.taken.get(tag, [])) if bit]


class FakeBookingLedger:
    """Bookings in a dict, with the compare-and-set rules of the PostgreSQL adapter: each
    settlement's transition (`hold` or `refuse`) moves a booking only from its sources."""

    def __init__(self, conflict_on: Sequence[UUID] = ()) -> None:
        """`conflict_on`: bookings whose tickets PostgreSQL would not have available."""
        self.bookings: dict[UUID, BookingState] = {}
        self.transactions = 0
        self.conflict_on = set(conflict_on)

    def add(
        self, command: BookingCreated, status: BookingStatus = BookingStatus.PROCESSING
    ) -> None:
        """Store the booking a command is about, as the ticketing service would have."""
        self.bookings[command.booking_id] = BookingState(
            command.booking_id, command.buyer_id, command.event_id, status, (), 0, None, False
        )

    async def settle(self, settlements: Sequence[Settlement]) -> LedgerResult:
        if self.conflict_on & {s.booking_id for s in settlements if s.seat_positions}:
            raise SeatConflict("a seat to reserve was not available")
        self.transactions += 1
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

    async def snapshots(self, event_id: int | None = None) -> list[Snapshot]:
        return []


class RecordingPublisher:
    """Keeps everything it was asked to publish."""

    def __init__(self) -> None:
        self.bookings: list[BookingState] = []
        self.subsections: list[SubsectionState] = []

    async def publish(
        self, bookings: Sequence[BookingState], subsections: Sequence[SubsectionState]
    ) -> None:
        self.bookings.extend(bookings)
        self.subsections.extend(subsections)

    def statuses(self) -> list[tuple[UUID, BookingStatus]]:
        """(booking, status) of every booking update, in order."""
        return [(u.booking_id, u.status) for u in self.bookings]


class RecordingDeadLetters:
    """Keeps every dead letter."""

    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    async def send(self, letter: DeadLetter) -> None:
        self.letters.append(letter)
