"""The Python reference model of the seat selection, driven by the table shared with the Lua
script test."""

import pytest

from src.service.seats import SeatPosition
from test.seat_selection_model import best_available, manual
from test.seat_vectors import BEST_AVAILABLE, MANUAL, shape, taken_bits, vector_ids


@pytest.mark.parametrize(
    ("layout", "quantity", "expected"), BEST_AVAILABLE, ids=vector_ids(BEST_AVAILABLE)
)
def test_best_available_picks_the_expected_seats(layout, quantity, expected):
    rows, cols = shape(layout)
    picked = best_available(taken_bits(layout), rows, cols, quantity)
    if expected is None:
        assert picked is None
    else:
        assert [str(SeatPosition.at(i, cols)) for i in picked] == expected


@pytest.mark.parametrize(("layout", "positions", "expected"), MANUAL, ids=vector_ids(MANUAL))
def test_manual_accepts_only_free_distinct_seats(layout, positions, expected):
    _, cols = shape(layout)
    indexes = [SeatPosition.parse(p).index(cols) for p in positions]
    assert manual(taken_bits(layout), indexes) is expected


def test_best_available_rejects_a_non_positive_quantity():
    assert best_available([0, 0, 0], 1, 3, 0) is None
