"""The ticketing service takes every status from `lifecycle.py` (spec/architecture.md,
"Lifecycle"; spec/tickets.md, rule 2): no module spells one as a string literal."""

import re
from pathlib import Path

import pytest

from src.service.lifecycle import (
    BookingStatus,
    EventStatus,
    IssuedTicketStatus,
    ScanOutcome,
    TicketStatus,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "service"
STATUSES = sorted({*BookingStatus, *TicketStatus, *IssuedTicketStatus, *ScanOutcome,
                   *EventStatus}, key=len, reverse=True)
# A quoted status not used as a key (`row["sold"]` reads a column named after it).
QUOTED = re.compile(rf"""(?<![\[\w])['"]({"|".join(STATUSES)})['"](?!\])""")
KNOWN: dict[str, list[str]] = {}
MODULES = sorted(p for p in SRC.rglob("*.py") if p.name != "lifecycle.py")


def spelled(text: str) -> list[str]:
    return QUOTED.findall(text)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_spells_a_status(path):
    assert spelled(path.read_text()) == KNOWN.get(str(path.relative_to(SRC)), [])


def test_the_check_sees_a_spelled_status_but_not_a_column_key():
    assert spelled("""sql = f"WHERE status = 'valid'" """) == ["valid"]
    assert spelled('status = "checked_in"') == ["checked_in"]
    assert spelled('row["sold"] + row["reserved"]') == []
    assert spelled("x = 'invalid'") == []
