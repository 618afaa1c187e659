"""Structured logging: one line per event, `event_name key=value …`."""

import logging
import sys


def configure(level: str = "INFO") -> None:
    """Send logs to stderr as `time level logger message`; call once per process."""
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
