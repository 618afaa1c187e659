"""One table of seat-selection vectors, driving both the Python reference model
(`test/seat_selection_model.py`) and the Lua script (`adapters/allocate.lua`).

A layout is a tuple of rows, '0' free and '1' taken; expected seats are "row-seat" positions
(1-based), or None when the request must fail and hold nothing.
"""

BEST_AVAILABLE = [
    (("110001",), 3, ["1-3", "1-4", "1-5"]),
    (("0011001111",), 4, ["1-1", "1-2", "1-5", "1-6"]),
    (("0001011111",), 4, ["1-1", "1-2", "1-3", "1-5"]),
    (("0101010111",), 4, ["1-1", "1-3", "1-5", "1-7"]),
    (("1110101111",), 4, None),
    (("110", "000"), 2, ["2-1", "2-2"]),
    (("000", "000"), 4, ["1-1", "1-2", "1-3", "2-1"]),
    (("0110", "0000"), 4, ["2-1", "2-2", "2-3", "2-4"]),
    (("1111",), 1, None),
]

MANUAL = [
    (("110001",), ["1-3", "1-4"], True),
    (("110001",), ["1-2", "1-3"], False),
    (("110001",), ["1-3", "1-3"], False),
    (("110001",), ["1-7"], False),
    (("110", "000"), ["2-3", "2-1"], True),
]


def taken_bits(layout: tuple[str, ...]) -> list[int]:
    """The layout as a flat row-major list of 0/1."""
    return [int(ch) for row in layout for ch in row]


def shape(layout: tuple[str, ...]) -> tuple[int, int]:
    """(rows, cols) of a layout."""
    return len(layout), len(layout[0])


def vector_ids(table: list[tuple]) -> list[str]:
    """Readable pytest ids: `layout-quantity` or `layout-seats`."""
    return ["/".join(layout) + f"-{ask}" for layout, ask, _ in table]
