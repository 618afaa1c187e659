"""The consumer's expectations of each subsection's seat-map generation (spec/architecture.md,
guarantee 7).

`kv` is the generation the seat map in Kvrocks should be at: the value every script call passes
and then moves on by one. `pg` is the `subsection_stats.seat_map_gen` PostgreSQL should be at:
the base of the next batch's compare-and-set. The seat map runs ahead of PostgreSQL by the
calls of the batches allocated but not yet recorded (two in flight at most, `pipeline.py`); a
batch's record brings PostgreSQL to where its calls left the map. A subsection is learnt from
PostgreSQL the first time a batch meets it, from a rebuild, or after a failure; one without a
`subsection_stats` row has no generation to hold the map to, and its calls are not checked.
"""

from collections.abc import Iterable, Mapping, Sequence

from src.service.reservation.application.ports import UNCHECKED, GenerationStep, SubsectionId


class Generations:
    """Expected generation per subsection, in the seat map (`kv`) and in PostgreSQL (`pg`)."""

    def __init__(self) -> None:
        self._kv: dict[SubsectionId, int] = {}
        self._pg: dict[SubsectionId, int] = {}
        self._unchecked: set[SubsectionId] = set()

    def unknown(self, ids: Iterable[SubsectionId]) -> list[SubsectionId]:
        """The subsections of `ids` nothing is known of yet."""
        return [i for i in ids if i not in self._kv and i not in self._unchecked]

    def learn(self, ids: Sequence[SubsectionId], found: Mapping[SubsectionId, int]) -> None:
        """Seat map and PostgreSQL agree at `found[i]` for each of `ids`; those not found have
        no generation (their calls are not checked)."""
        for i in ids:
            if i in found:
                self._kv[i] = self._pg[i] = found[i]
                self._unchecked.discard(i)
            else:
                self.forget([i])
                self._unchecked.add(i)

    def forget(self, ids: Iterable[SubsectionId]) -> None:
        """Drop what is known of `ids`: the next batch learns them from PostgreSQL again."""
        for i in ids:
            self._kv.pop(i, None)
            self._pg.pop(i, None)
            self._unchecked.discard(i)

    def expect(self, where: SubsectionId) -> int:
        """The generation to pass to the next call on `where` (`UNCHECKED` when it has none)."""
        return self._kv.get(where, UNCHECKED)

    def advance(self, where: SubsectionId) -> None:
        """A call on `where` was applied: the seat map moved on by one."""
        if where in self._kv:
            self._kv[where] += 1

    def steps(self, reached: Mapping[SubsectionId, int]) -> list[GenerationStep]:
        """The compare-and-sets that bring PostgreSQL to where a batch left the seat map."""
        return [GenerationStep(i, self._pg[i], new) for i, new in reached.items() if i in self._pg]

    def recorded(self, steps: Iterable[GenerationStep]) -> None:
        """The steps committed: PostgreSQL is at their new generations."""
        for step in steps:
            if self._pg.get(step.where) == step.base:
                self._pg[step.where] = step.new
