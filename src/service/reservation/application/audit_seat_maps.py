"""Use case: the consumer's periodic audit of the seat maps it owns (spec/architecture.md,
guarantee 7).

A subsection nobody books is never called, so a stale map there would never be found by a
batch: a flushed one makes the fail-fast check bound requests by the subsection's size, an old
snapshot makes it refuse seats PostgreSQL has free. Every `RESERVATION_AUDIT_INTERVAL_S` the
consumer, with no batch in flight, reads every subsection's generation and free seats from
PostgreSQL (one query) and the maps of those it owns from Kvrocks (one pipelined read), and
rebuilds each map whose generation is not PostgreSQL's or whose counter claims more free seats
than PostgreSQL has (with nothing in flight a healthy counter never does: releases still to
come only lower it).
"""

from collections.abc import Callable
from dataclasses import dataclass

from src.service.reservation.application.generations import Generations
from src.service.reservation.application.ports import (
    BookingLedger,
    MapState,
    SeatMap,
    SubsectionId,
)
from src.service.reservation.application.rebuild_seat_maps import RebuildSeatMaps


@dataclass(frozen=True)
class AuditSeatMaps:
    """Compare owned seat maps with PostgreSQL; rebuild those that disagree."""

    seat_map: SeatMap
    ledger: BookingLedger
    rebuild: RebuildSeatMaps
    generations: Generations

    async def __call__(self, owns: Callable[[str], bool]) -> list[SubsectionId]:
        """Audit the subsections whose tag `owns` accepts; returns those rebuilt."""
        truth = await self.ledger.audit()
        ids = [i for i in truth if owns(i.tag)]
        maps = await self.seat_map.states([i.tag for i in ids]) if ids else []
        wrong = [i for i, kv in zip(ids, maps, strict=True) if disagree(kv, truth[i])]
        right = [i for i in ids if i not in set(wrong)]
        self.generations.learn(right, {i: truth[i].generation for i in right})
        if wrong:
            self.generations.learn(wrong, await self.rebuild(wrong))
        return wrong


def disagree(kv: MapState, pg: MapState) -> bool:
    """True when a map cannot be PostgreSQL's with no batch in flight."""
    if kv.generation != pg.generation:
        return True
    return kv.available is not None and pg.available is not None and kv.available > pg.available
