"""Domain rules of spec/booking.md (rules 1–5) and the seating layout."""

import pytest

from src.service.lifecycle import CANCEL_HELD, CANCEL_UNSETTLED, PAY, BookingStatus
from src.service.seats import SeatPosition
from src.service.ticketing.domain.booking import (
    SeatSelectionMode,
    check_can_cancel,
    check_can_pay,
    check_seat_request,
)
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.seating import parse_seating_config

CONFIG = parse_seating_config(
    {"rows": 3, "cols": 4, "sections": [{"name": "A", "price": 100, "subsections": 2}]}
)
MANUAL, BEST = SeatSelectionMode.MANUAL, SeatSelectionMode.BEST_AVAILABLE


@pytest.mark.parametrize("quantity", [0, 5, -1])
def test_quantity_outside_one_to_four_is_refused(quantity):
    with pytest.raises(InvalidRequest, match="between 1 and 4"):
        check_seat_request(BEST, quantity, [], CONFIG)


def test_manual_seats_become_row_seat_pairs():
    assert check_seat_request(MANUAL, 2, ["1-1", "3-4"], CONFIG) == (
        SeatPosition(1, 1), SeatPosition(3, 4))


@pytest.mark.parametrize(
    ("positions", "message"),
    [
        (["1-1"], "count to match quantity"),
        (["1-1", "1-1"], "Duplicate"),
        (["1-1", "4-1"], "outside the seating layout"),
        (["1-1", "1-5"], "outside the seating layout"),
        (["1-1", "a-b"], "expected 'row-seat'"),
        (["1-1", "0-1"], "outside the seating layout"),
    ],
)
def test_bad_manual_seats_are_refused(positions, message):
    with pytest.raises(InvalidRequest, match=message):
        check_seat_request(MANUAL, 2, positions, CONFIG)


def test_best_available_requires_empty_positions():
    assert check_seat_request(BEST, 3, [], CONFIG) == ()
    with pytest.raises(InvalidRequest, match="empty"):
        check_seat_request(BEST, 1, ["1-1"], CONFIG)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (BookingStatus.COMPLETED, "Cannot cancel a completed booking"),
        (BookingStatus.CANCELLED, "Booking already in terminal state"),
        (BookingStatus.FAILED, "Cannot cancel failed booking"),
    ],
)
def test_final_bookings_cannot_be_cancelled_with_prd_messages(status, message):
    with pytest.raises(InvalidRequest) as refused:
        check_can_cancel(status)
    assert str(refused.value) == message


def test_open_bookings_can_be_cancelled_by_the_transition_that_fits():
    assert check_can_cancel(BookingStatus.PROCESSING) is CANCEL_UNSETTLED
    assert check_can_cancel(BookingStatus.PENDING_PAYMENT) is CANCEL_HELD


@pytest.mark.parametrize(
    "status",
    [BookingStatus.PROCESSING, BookingStatus.COMPLETED, BookingStatus.CANCELLED,
     BookingStatus.FAILED],
)
def test_only_pending_payment_can_be_paid(status):
    with pytest.raises(InvalidRequest):
        check_can_pay(status)
    assert check_can_pay(BookingStatus.PENDING_PAYMENT) is PAY


def test_paying_a_processing_booking_uses_the_prd_message():
    with pytest.raises(InvalidRequest, match="^Cannot pay booking in processing state$"):
        check_can_pay(BookingStatus.PROCESSING)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"rows": 0, "cols": 1, "sections": [{"name": "A", "price": 1, "subsections": 1}]},
         "rows"),
        ({"rows": 1, "cols": 1, "sections": []}, "non-empty"),
        ({"rows": 1, "cols": 1, "sections": [{"name": "A", "price": -1, "subsections": 1}]},
         "price"),
        ({"rows": 1, "cols": 1, "sections": [{"name": "A", "price": 1, "subsections": 0}]},
         "subsections"),
        ({"rows": 1, "cols": 1, "sections": [{"name": "A", "price": 1, "subsections": 1},
                                              {"name": "A", "price": 2, "subsections": 1}]},
         "unique"),
        ({"rows": 1, "cols": 1, "sections": [{"name": "A:1", "price": 1, "subsections": 1}]},
         "Section name"),
        ("rows=1", "must be an object"),
    ],
)
def test_invalid_seating_configs_are_refused(raw, message):
    with pytest.raises(InvalidRequest, match=message):
        parse_seating_config(raw)


def test_seating_config_counts_seats():
    assert CONFIG.seats_per_subsection == 12
    assert CONFIG.total_seats == 24
    assert CONFIG.to_dict()["sections"][0] == {"name": "A", "price": 100, "subsections": 2}
