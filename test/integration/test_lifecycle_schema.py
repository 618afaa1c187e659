"""The migration's CHECK constraints hold exactly the statuses of `src/service/lifecycle.py`
(spec/architecture.md, "Lifecycle"): a state added on one side only fails here."""

import re

import pytest

from src.service.lifecycle import (
    BookingStatus,
    EventStatus,
    IssuedTicketStatus,
    ScanOutcome,
    TicketStatus,
)


def allowed_values(definition: str) -> set[str]:
    """The quoted values of a `CHECK (status IN (…))` / `= ANY (ARRAY[…])` definition."""
    return set(re.findall(r"'([a-z_]+)'::text", definition))


async def status_check(pg_pool, table: str, column: str = "status") -> str:
    async with pg_pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint "
            "WHERE conrelid = $1::regclass AND contype = 'c'", table)
    [definition] = [r["def"] for r in rows if f"({column} = ANY" in r["def"]]
    return definition


@pytest.mark.parametrize(("table", "enum"), [("bookings", BookingStatus),
                                             ("tickets", TicketStatus),
                                             ("issued_tickets", IssuedTicketStatus),
                                             ("events", EventStatus)])
async def test_the_status_check_matches_the_lifecycle(pg_pool, table, enum):
    assert allowed_values(await status_check(pg_pool, table)) == {s.value for s in enum}


async def test_the_scan_log_check_matches_the_scan_outcomes(pg_pool):
    definition = await status_check(pg_pool, "check_in_scans", "result")
    assert allowed_values(definition) == {s.value for s in ScanOutcome}


def test_the_parser_sees_a_missing_state():
    definition = "CHECK ((status = ANY (ARRAY['processing'::text, 'failed'::text])))"
    assert allowed_values(definition) == {"processing", "failed"}
    assert allowed_values(definition) != {s.value for s in BookingStatus}
