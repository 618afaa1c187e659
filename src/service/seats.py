"""Seat positions: one value type and its one codec, shared by both services.

On the wire and in the database a position is the text `"row-seat"`, both 1-based
(spec/booking.md, rule 3). In a subsection's seat map it is a bit index, row-major:
the index formula lives in `SeatPosition.index` and nowhere else (spec/architecture.md,
"Kvrocks rules"). Everything between those edges passes `SeatPosition` values.
"""

from collections.abc import Iterable
from dataclasses import dataclass

# More digits than any layout allows; it also keeps `int()` away from huge inputs.
_MAX_DIGITS = 6


@dataclass(frozen=True, slots=True, order=True)
class SeatPosition:
    """A seat of a subsection: `row` and `seat` (its column), both from 1; ordered row by
    row."""

    row: int
    seat: int

    @classmethod
    def parse(cls, text: str) -> "SeatPosition":
        """`"row-seat"` (decimal digits) → position; raises `ValueError` for anything else
        (signs, blanks, more than six digits). Whether the seat exists is `inside`'s call."""
        row, sep, seat = text.partition("-")
        if not (sep and _is_number(row) and _is_number(seat)):
            raise ValueError(f"not a 'row-seat' position: {text[:20]!r}")
        return cls(int(row), int(seat))

    @classmethod
    def at(cls, index: int, cols: int) -> "SeatPosition":
        """The position of bit `index` in a subsection with `cols` seats per row."""
        row, seat = divmod(index, cols)
        return cls(row + 1, seat + 1)

    def index(self, cols: int) -> int:
        """Bit index of this seat in a subsection with `cols` seats per row."""
        return (self.row - 1) * cols + (self.seat - 1)

    def inside(self, rows: int, cols: int) -> bool:
        """True when the seat exists in a `rows` × `cols` subsection."""
        return 1 <= self.row <= rows and 1 <= self.seat <= cols

    def __str__(self) -> str:
        return f"{self.row}-{self.seat}"


def _is_number(text: str) -> bool:
    return 0 < len(text) <= _MAX_DIGITS and text.isascii() and text.isdigit()


def format_all(positions: Iterable[SeatPosition]) -> list[str]:
    """Positions as their `"row-seat"` texts, in the order given."""
    return [str(p) for p in positions]


def parse_all(texts: Iterable[str]) -> tuple[SeatPosition, ...]:
    """`"row-seat"` texts as positions; raises `ValueError` on the first bad one."""
    return tuple(SeatPosition.parse(t) for t in texts)
