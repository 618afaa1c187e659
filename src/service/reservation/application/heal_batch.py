"""Use case: heal the subsections a batch found stale, then allocate their commands
(spec/architecture.md, guarantee 7).

A subsection's map answers stale when its generation is not the one the consumer expected:
flushed (a missing generation is 0), restored from an older snapshot, rebuilt by an operator,
ahead after a crash between a batch's script and its commit, or written by another consumer.
Healing re-reads PostgreSQL's generation first: a map at exactly that generation was written
for it (a rebuild) and is taken as it is; any other is rebuilt from PostgreSQL. Then the
subsection's commands, which waited, are allocated. The consumer heals only with no batch of
its own in flight, so nothing it allocated but has not recorded is lost by a rebuild.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from src.service.reservation.application.allocate_batch import AllocateBatch
from src.service.reservation.application.batches import Allocated, Command, merged, where
from src.service.reservation.application.generations import Generations
from src.service.reservation.application.ports import BookingLedger, StaleSeatMap, SubsectionId
from src.service.reservation.application.rebuild_seat_maps import RebuildSeatMaps

# Heals of one batch before giving up for now (the batch is retried later, never failed).
ATTEMPTS = 3


@dataclass(frozen=True)
class HealBatch:
    """Heal stale subsections and allocate what waited for them."""

    allocate: AllocateBatch
    rebuild: RebuildSeatMaps
    ledger: BookingLedger
    generations: Generations

    async def __call__(
        self, commands: Sequence[Command], allocated: Allocated | None = None
    ) -> Allocated:
        """`allocated` (by default: `commands` allocated now) with every stale subsection
        healed and its commands allocated; raises `StaleSeatMap` when one stays stale."""
        if allocated is None:
            allocated = await self.allocate(commands)
        for _ in range(ATTEMPTS):
            if not allocated.stale:
                return allocated
            await self.heal(allocated.stale)
            waiting = [c for c in commands if where(c) in allocated.stale]
            allocated = merged(allocated, await self.allocate(waiting))
        if allocated.stale:
            raise StaleSeatMap(f"{len(allocated.stale)} subsections stayed stale")
        return allocated

    async def heal(self, stale: dict[SubsectionId, int]) -> None:
        """Take each map at PostgreSQL's generation as it is; rebuild the others."""
        ids = sorted(stale)
        current = await self.ledger.generations(ids)
        adopted = {i: g for i, g in current.items() if stale[i] == g}
        self.generations.learn(list(adopted), adopted)
        rebuild = [i for i in ids if i not in adopted]
        if rebuild:
            self.generations.learn(rebuild, await self.rebuild(rebuild))
