"""The reservation service takes every status from `lifecycle.py` and performs only the settle
transitions (spec/architecture.md, "Lifecycle" and "Ownership")."""

import re
import uuid
from pathlib import Path

import pytest

from src.service.lifecycle import HOLD, REFUSE, BookingStatus, TicketStatus
from src.service.reservation.adapters import queries as q
from src.service.reservation.application.ports import Settlement
from src.service.reservation.domain.allocation import AllocationStatus
from test.reservation_fakes import seat_positions

SERVICE = Path(__file__).resolve().parents[2] / "src" / "service" / "reservation"
STATUSES = sorted({*BookingStatus, *TicketStatus})
QUOTED = re.compile(rf"""['"]({"|".join(STATUSES)})['"]""")


@pytest.mark.parametrize(
    "path", sorted([*SERVICE.rglob("*.py"), *SERVICE.rglob("*.lua")]),
    ids=lambda p: str(p.relative_to(SERVICE)),
)
def test_no_module_spells_a_status(path):
    assert QUOTED.findall(path.read_text()) == []


def test_the_settle_statements_are_the_hold_and_refuse_transitions():
    assert HOLD.guard("b.status") in q.MOVE_BOOKINGS
    assert REFUSE.guard("b.status") in q.MOVE_BOOKINGS
    assert f"WHEN u.status = '{HOLD.target}'" in q.MOVE_BOOKINGS  # seats only when held
    assert HOLD.tickets_guard("t.status") in q.RESERVE_TICKETS
    assert f"status = '{TicketStatus.RESERVED}'" in q.RESERVE_TICKETS


def test_a_settlement_takes_hold_with_seats_and_refuse_without():
    def settlement(*positions):
        return Settlement(uuid.uuid4(), 1, "A", 1, seat_positions(*positions), 100, None)

    assert settlement("1-1").transition is HOLD
    assert settlement().transition is REFUSE


def test_the_lua_outcome_words_are_the_allocation_statuses_and_no_booking_status():
    lua = (SERVICE / "adapters" / "allocate.lua").read_text()
    words = set(re.findall(r"result\[#result \+ 1\] = '(\w+)'", lua))
    assert words == {s.value for s in AllocationStatus}
    assert not words & {s.value for s in BookingStatus}
