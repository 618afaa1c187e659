"""Kafka client factories.

aiokafka's defaults are not Kafka's: the producer here turns on idempotence explicitly (which
implies acks=all), and every send and stop is bounded by a timeout because both can hang while
the broker is down.
"""

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from src.platform.settings import KafkaSettings

log = logging.getLogger(__name__)


def create_producer(settings: KafkaSettings) -> AIOKafkaProducer:
    """An idempotent producer (acks=all) with a small linger so concurrent sends share batches."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        linger_ms=settings.linger_ms,
        request_timeout_ms=int(settings.send_timeout_s * 1000),
        max_batch_size=256 * 1024,
    )


def create_consumer(
    settings: KafkaSettings, topic: str, group_id: str, max_poll_records: int = 2000
) -> AIOKafkaConsumer:
    """A consumer-group member with manual commits, starting at the earliest offset."""
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_poll_records,
        fetch_min_bytes=settings.fetch_min_bytes,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        session_timeout_ms=10_000,
        heartbeat_interval_ms=2_000,
    )


async def ensure_topics(settings: KafkaSettings, topics: dict[str, int]) -> None:
    """Create each topic {name: partitions} that does not exist yet (replication factor 1)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, num_partitions=n, replication_factor=1)
            for name, n in topics.items()
            if name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):  # a concurrent starter won
                await admin.create_topics(wanted)
    finally:
        await admin.close()


async def stop_quietly(client: AIOKafkaProducer | AIOKafkaConsumer, timeout_s: float) -> None:
    """Stop a producer or consumer, giving up after `timeout_s` seconds (broker may be down)."""
    try:
        await asyncio.wait_for(client.stop(), timeout_s)
    except (TimeoutError, Exception) as e:  # noqa: BLE001 - shutdown must not raise
        log.warning("kafka_stop_failed error=%r", e)
