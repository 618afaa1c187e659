"""The Python reference model of the seat selection in `adapters/allocate.lua`.

Not production code: the Lua script is the only selection that runs. `test/seat_vectors.py`
drives this model and the script with the same table, the fakes of `test/reservation_fakes.py`
select with it, and `test_reservation_seat_map.py` compares it with the script over a random
sale (spec/booking.md, "Best available").

A subsection is a row-major bitmap: a seat's bit is set when it is held (the index formula is
`SeatPosition.index`). `best_available` prefers N adjacent free seats in one row (lowest row,
then leftmost); failing that it combines the largest free blocks (maximal runs of free seats
within a row), ordered by size descending, then row, then start, taking whole blocks and the
leftmost seats of the last.
"""

from collections.abc import Iterable, Sequence
from typing import NamedTuple


class Block(NamedTuple):
    """A maximal run of free seats in one row, starting at bit `start`."""

    row: int
    start: int
    size: int


def free_blocks(taken: Sequence[bool | int], rows: int, cols: int) -> list[Block]:
    """Every maximal run of free seats, in row-major order."""
    blocks: list[Block] = []
    for row in range(rows):
        base, col = row * cols, 0
        while col < cols:
            if taken[base + col]:
                col += 1
                continue
            start = col
            while col < cols and not taken[base + col]:
                col += 1
            blocks.append(Block(row, base + start, col - start))
    return blocks


def best_available(
    taken: Sequence[bool | int], rows: int, cols: int, quantity: int
) -> list[int] | None:
    """Sorted bit indexes of the seats to hold, or None when fewer than `quantity` are free."""
    if quantity < 1 or sum(1 for bit in taken[: rows * cols] if not bit) < quantity:
        return None
    blocks = free_blocks(taken, rows, cols)
    for block in blocks:
        if block.size >= quantity:
            return list(range(block.start, block.start + quantity))
    picked: list[int] = []
    for block in sorted(blocks, key=lambda b: (-b.size, b.row, b.start)):
        take = min(block.size, quantity - len(picked))
        picked.extend(range(block.start, block.start + take))
        if len(picked) == quantity:
            break
    return sorted(picked)


def manual(taken: Sequence[bool | int], indexes: Iterable[int]) -> bool:
    """True when the requested seats are distinct, inside the subsection and all free."""
    wanted = list(indexes)
    if not wanted or len(set(wanted)) != len(wanted):
        return False
    return all(0 <= i < len(taken) and not taken[i] for i in wanted)
