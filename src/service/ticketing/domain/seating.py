"""Seating layout of an event: sections × subsections × rows × seats, a price per section.

Compact config (spec/booking.md, "Endpoints"): `{"rows": R, "cols": C, "sections":
[{"name": "A", "price": 1000, "subsections": 2}]}`. Seat positions are `SeatPosition`s.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from src.service.seats import SeatPosition
from src.service.ticketing.domain.errors import InvalidRequest

MAX_ROWS = 500
MAX_COLS = 500
MAX_SUBSECTIONS = 100
MAX_SEATS_PER_EVENT = 200_000
# Prices are int32 in PostgreSQL, and so is a booking's total of up to four seats.
MAX_PRICE = 500_000_000
_SECTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,20}$")


@dataclass(frozen=True)
class Section:
    """A priced section split into `subsections` equal subsections numbered from 1."""

    name: str
    price: int
    subsections: int


@dataclass(frozen=True)
class SeatingConfig:
    """Validated layout; every subsection has `rows` × `cols` seats."""

    rows: int
    cols: int
    sections: tuple[Section, ...]
    # The booking path looks a section up by name twice per request; a layout may have
    # hundreds of sections (spec/performance.md, "What is measured").
    _by_name: dict[str, Section] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {s.name: s for s in self.sections})

    @property
    def seats_per_subsection(self) -> int:
        return self.rows * self.cols

    @property
    def total_seats(self) -> int:
        return self.seats_per_subsection * sum(s.subsections for s in self.sections)

    def section(self, name: str) -> Section | None:
        """The section called `name`, or None."""
        return self._by_name.get(name)

    def same_shape(self, other: "SeatingConfig") -> bool:
        """True when both have the same seats: rows, columns, section names and
        subsections alike (prices may differ)."""
        def shape(c: SeatingConfig) -> tuple[object, ...]:
            return c.rows, c.cols, tuple((s.name, s.subsections) for s in c.sections)
        return shape(self) == shape(other)

    def repriced(self, prices: Mapping[str, int]) -> "SeatingConfig":
        """The layout with new prices for the sections named in `prices` (spec/booking.md,
        rule 13); raises `InvalidRequest` for an unknown section or a price out of range."""
        unknown = sorted(set(prices) - set(self._by_name))
        if unknown:
            raise InvalidRequest(f"No section named {unknown[0][:20]!r} in this layout")
        sections = tuple(
            _section({"name": s.name, "price": prices[s.name], "subsections": s.subsections})
            if s.name in prices else s for s in self.sections)
        return SeatingConfig(self.rows, self.cols, sections)

    def to_dict(self) -> dict[str, object]:
        """The compact JSON form."""
        return {
            "rows": self.rows,
            "cols": self.cols,
            "sections": [
                {"name": s.name, "price": s.price, "subsections": s.subsections}
                for s in self.sections
            ],
        }


def _integer(value: object) -> int | None:
    """`value` as an integer if it is one: a JSON number with a zero fraction (`2.0`) counts,
    as in JSON Schema's `integer`; `true` does not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _positive_int(value: object, name: str, upper: int) -> int:
    number = _integer(value)
    if number is None or not 1 <= number <= upper:
        raise InvalidRequest(f"seating_config.{name} must be an integer from 1 to {upper}")
    return number


def _section(raw: object) -> Section:
    if not isinstance(raw, dict):
        raise InvalidRequest("Each section must be an object with name, price and subsections")
    name, price = raw.get("name"), _integer(raw.get("price"))
    if not isinstance(name, str) or not _SECTION_NAME.fullmatch(name):
        raise InvalidRequest("Section name must be 1-20 letters, digits, '-' or '_'")
    if price is None or not 0 <= price <= MAX_PRICE:
        raise InvalidRequest(f"Section {name}: price must be an integer from 0 to {MAX_PRICE}")
    subsections = _positive_int(raw.get("subsections"), "subsections", MAX_SUBSECTIONS)
    return Section(name=name, price=price, subsections=subsections)


def parse_seating_config(raw: object) -> SeatingConfig:
    """Validate the compact config; raises `InvalidRequest` with the first problem found."""
    if not isinstance(raw, dict):
        raise InvalidRequest("seating_config must be an object with rows, cols and sections")
    rows = _positive_int(raw.get("rows"), "rows", MAX_ROWS)
    cols = _positive_int(raw.get("cols"), "cols", MAX_COLS)
    sections_raw = raw.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        raise InvalidRequest("seating_config.sections must be a non-empty list")
    sections = tuple(_section(s) for s in sections_raw)
    if len({s.name for s in sections}) != len(sections):
        raise InvalidRequest("Section names must be unique")
    config = SeatingConfig(rows=rows, cols=cols, sections=sections)
    if config.total_seats > MAX_SEATS_PER_EVENT:
        raise InvalidRequest(f"An event may have at most {MAX_SEATS_PER_EVENT} seats")
    return config


def parse_seat_position(position: str, config: SeatingConfig) -> SeatPosition:
    """`"row-seat"` → a position inside the layout (spec/booking.md, rule 3); raises
    `InvalidRequest`."""
    try:
        seat = SeatPosition.parse(position)
    except ValueError:
        raise InvalidRequest(
            f"Invalid seat position '{position[:20]}': expected 'row-seat'"
        ) from None
    if not seat.inside(config.rows, config.cols):
        raise InvalidRequest(f"Seat {position} is outside the seating layout")
    return seat
