"""Which subsection and how many seats to ask for next, narrowed by the fail-fast answers."""

from __future__ import annotations

import random
from dataclasses import dataclass

SOLD_OUT = "Insufficient seats available"
MAX_SEATS = 200_000  # the largest event the API accepts


@dataclass
class Target:
    """One subsection; `cap` is the largest quantity the fail-fast check may still accept."""

    event_id: int
    section: str
    subsection: int
    cap: int


class Pool:
    """Subsections still open, of one or more events, taken in turn (`next`) or at random
    (`pick`) so that load spreads over every partition.

    A 400 'Insufficient seats available' for quantity q means fewer than q seats are left
    (the counter only goes down during a load test), so `cap` drops to q-1; a subsection
    closes once `cap` is below the smallest quantity asked for.
    """

    def __init__(self, subsections: list[tuple[int, str, int]], low: int, high: int):
        self.low, self.high = low, high
        self._open = [Target(e, s, n, high) for e, s, n in subsections]
        self._turn = 0

    @property
    def open_count(self) -> int:
        return len(self._open)

    def next(self) -> Target | None:
        """The next open subsection in turn, or None once all are closed."""
        if not self._open:
            return None
        self._turn = (self._turn + 1) % len(self._open)
        return self._open[self._turn]

    def pick(self, rng: random.Random) -> Target | None:
        """A random open subsection, or None once all are closed."""
        return rng.choice(self._open) if self._open else None

    def quantity(self, target: Target, rng: random.Random) -> int:
        """A quantity in [low, min(high, cap)]."""
        return rng.randint(self.low, max(self.low, min(self.high, target.cap)))

    def refused(self, target: Target, quantity: int) -> None:
        """Fail-fast said fewer than `quantity` seats are left in `target`."""
        target.cap = min(target.cap, quantity - 1)
        if target.cap < self.low and target in self._open:
            self._open.remove(target)

    def close_all(self) -> None:
        """Stop asking anywhere (e.g. the event went off sale)."""
        self._open.clear()


def layout(sections: int, subsections: int, rows: int, cols: int, price: int = 1000) -> dict:
    """Compact seating config: sections S01, S02, … each with `subsections` subsections."""
    return {
        "rows": rows,
        "cols": cols,
        "sections": [
            {"name": f"S{i:02d}", "price": price + 100 * i, "subsections": subsections}
            for i in range(1, sections + 1)
        ],
    }


def subsections_of(config: dict) -> list[tuple[str, int]]:
    """Every (section, subsection) of a compact seating config."""
    return [
        (s["name"], n) for s in config["sections"] for n in range(1, s["subsections"] + 1)
    ]


def targets_of(event_ids: list[int], config: dict) -> list[tuple[int, str, int]]:
    """Every (event, section, subsection) of events that share one compact seating config."""
    return [(e, s, n) for e in event_ids for s, n in subsections_of(config)]


def seats_of(config: dict) -> int:
    """Total seats of a compact seating config."""
    return config["rows"] * config["cols"] * sum(s["subsections"] for s in config["sections"])
