"""Kafka adapter: the dead-letter queue."""

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from src.service.reservation.application.ports import DeadLetter, Unavailable


class KafkaDeadLetters:
    """Sends the raw message to the dead-letter topic, with why and where from in headers."""

    def __init__(self, producer: AIOKafkaProducer, topic: str, timeout_s: float):
        self._producer, self._topic, self._timeout_s = producer, topic, timeout_s

    async def send(self, letter: DeadLetter) -> None:
        """Send and wait for the broker's acknowledgement; raises `Unavailable` otherwise."""
        headers = [("reason", letter.reason.encode()), ("source", letter.source.encode())]
        try:
            await asyncio.wait_for(
                self._producer.send_and_wait(
                    self._topic, letter.value, key=letter.key, headers=headers
                ),
                self._timeout_s,
            )
        except (KafkaError, TimeoutError) as e:
            raise Unavailable(f"kafka: {e!r}") from e
