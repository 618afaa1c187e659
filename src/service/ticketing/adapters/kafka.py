"""Kafka adapter: publishes booking commands keyed by subsection (spec/architecture.md,
guarantee 4)."""

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from src.service.contract import (
    COMMANDS_TOPIC,
    BookingCancelled,
    BookingCreated,
    encode,
    subsection_tag,
)
from src.service.ticketing.application.ports import PublishFailed


class KafkaCommandPublisher:
    """Sends a command and waits for the broker's ack (acks=all, idempotent producer); gives
    up after `timeout_s` seconds with `PublishFailed`."""

    def __init__(self, producer: AIOKafkaProducer, timeout_s: float) -> None:
        self._producer = producer
        self._timeout_s = timeout_s

    async def publish(self, command: BookingCreated | BookingCancelled) -> None:
        key = subsection_tag(command.event_id, command.section, command.subsection).encode()
        try:
            await asyncio.wait_for(
                self._producer.send_and_wait(COMMANDS_TOPIC, encode(command), key=key),
                self._timeout_s,
            )
        except (KafkaError, TimeoutError) as e:
            raise PublishFailed(f"{command.type} {command.booking_id}: {e!r}") from e
