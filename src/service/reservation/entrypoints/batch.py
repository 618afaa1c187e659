"""A polled batch, decoded once: the records, their commands and the undecodable ones.

Both ways of settling a batch, the pipeline's fast path and the careful path of `failures.py`,
work from the same `Batch`, so a batch is never decoded twice (spec/booking.md, "Messages").
"""

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import ConsumerRecord
from pydantic import ValidationError

from src.service.contract import decode_command, decode_commands
from src.service.reservation.application.batches import BatchReport, Command

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Batch:
    """`records` as polled; `decoded` pairs each decodable record with its command, in order;
    `poison` pairs each undecodable record with why."""

    records: Sequence[ConsumerRecord]
    decoded: list[tuple[ConsumerRecord, Command]]
    poison: list[tuple[ConsumerRecord, str]]

    @property
    def commands(self) -> list[Command]:
        """The decoded commands, in record order."""
        return [command for _, command in self.decoded]


def decode(records: Sequence[ConsumerRecord]) -> Batch:
    """Decode the whole batch in one go, or message by message when it holds a malformed one."""
    try:
        commands = decode_commands([r.value or b"null" for r in records])
        return Batch(records, list(zip(records, commands, strict=True)), [])
    except ValidationError:
        pass
    decoded, poison = [], []
    for record in records:
        try:
            decoded.append((record, decode_command(record.value or b"")))
        except ValidationError as e:
            log.error("message_undecodable source=%s errors=%d", source(record), e.error_count())
            poison.append((record, f"undecodable: {e.errors()[0]['msg']}"))
    return Batch(records, decoded, poison)


def source(record: ConsumerRecord) -> str:
    """`topic:partition:offset` of a record."""
    return f"{record.topic}:{record.partition}:{record.offset}"


def log_settled(report: BatchReport, started: float) -> None:
    """The `batch_settled` log line."""
    log.info(
        "batch_settled size=%d allocated=%d failed=%d released=%d ms=%.1f",
        report.size, report.allocated, report.failed, report.released,
        (time.perf_counter() - started) * 1000,
    )
