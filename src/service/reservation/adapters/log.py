"""Dead letters kept only in the log, for when the DLQ is switched off."""

import logging

from src.service.reservation.application.ports import DeadLetter

log = logging.getLogger(__name__)


class LogDeadLetters:
    """Logs each letter at error level and drops it (`RESERVATION_DLQ_ENABLED=false`)."""

    async def send(self, letter: DeadLetter) -> None:
        """Log the letter; never fails."""
        log.error(
            "dead_letter_dropped source=%s reason=%r key=%r value=%r",
            letter.source, letter.reason, letter.key, (letter.value or b"")[:512],
        )
