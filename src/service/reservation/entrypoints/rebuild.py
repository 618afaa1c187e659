"""Entrypoint: rebuild the seat map in Kvrocks from PostgreSQL (spec/architecture.md, guarantee 7).

    python -m src.service.reservation.entrypoints.rebuild [--event ID]

Safe while the consumers run: a rebuild moves each subsection's generation on, so a consumer
that finds the map rebuilt under it re-reads and goes on (see
`application/rebuild_seat_maps.py`).
"""

import argparse
import asyncio
import logging

from src.platform.logging import configure
from src.service.reservation.bootstrap import open_rebuild
from src.service.reservation.settings import Settings, load_settings

log = logging.getLogger(__name__)


async def rebuild(settings: Settings, event_id: int | None) -> int:
    """Rebuild every subsection (of one event, or all); returns how many were rebuilt."""
    async with open_rebuild(settings) as rebuild_seat_maps:
        return len(await rebuild_seat_maps(event_id=event_id))


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and rebuild."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--event", type=int, default=None, help="only this event id")
    args = parser.parse_args(argv)
    settings = load_settings()
    configure(settings.consumer.log_level)
    count = asyncio.run(rebuild(settings, args.event))
    log.info("seat_maps_rebuilt subsections=%d event=%s", count, args.event)


if __name__ == "__main__":
    main()
