"""Rows of the PostgreSQL tables as domain values, shared by the repositories."""

import asyncpg

from src.service.lifecycle import TicketStatus
from src.service.seats import SeatPosition
from src.service.ticketing.domain.event import SubsectionStats
from src.service.ticketing.domain.seating import SeatingConfig
from src.service.ticketing.domain.ticket import Ticket


def stats_from_row(row: asyncpg.Record, config: SeatingConfig | None = None) -> SubsectionStats:
    """A `subsection_stats` row as domain stats; the price comes from `config` when given."""
    section = config.section(row["section"]) if config else None
    return SubsectionStats(
        section=row["section"], subsection=row["subsection"],
        price=section.price if section else 0, total=row["total"],
        available=row["available"], reserved=row["reserved"], sold=row["sold"],
    )


def ticket_from_row(row: asyncpg.Record) -> Ticket:
    """A `tickets` row as a domain ticket."""
    return Ticket(
        id=row["id"], event_id=row["event_id"], section=row["section"],
        subsection=row["subsection"], position=SeatPosition(row["row"], row["seat"]),
        price=row["price"], status=TicketStatus(row["status"]), code=row["code"],
    )
