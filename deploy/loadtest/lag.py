"""Commands waiting in Kafka for the reservation group: end offsets minus committed offsets."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from src.service.contract import COMMANDS_TOPIC, RESERVATION_GROUP

POLL_S = 0.2


async def commands_lag(bootstrap: str) -> int:
    """Messages of the commands topic the reservation group has not committed yet (a
    partition without a committed offset counts from its beginning)."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await reader.start()
    await admin.start()
    try:
        topics = await admin.describe_topics([COMMANDS_TOPIC])
        parts = [TopicPartition(COMMANDS_TOPIC, p["partition"])
                 for t in topics if not t["error_code"] for p in t["partitions"]]
        if not parts:
            return 0
        ends = await reader.end_offsets(parts)
        starts = await reader.beginning_offsets(parts)
        committed = await admin.list_consumer_group_offsets(RESERVATION_GROUP, partitions=parts)
    finally:
        await admin.close()
        await reader.stop()
    done = {tp: meta.offset for tp, meta in committed.items() if meta.offset >= 0}
    return sum(ends[tp] - done.get(tp, starts[tp]) for tp in parts)


async def wait_lag(bootstrap: str, at_least: int, timeout_s: float) -> int:
    """Poll until at least `at_least` commands wait in Kafka (or `timeout_s` passes); returns
    the last count. Retriable broker errors (a fresh broker's coordinator) are retried."""
    deadline = time.perf_counter() + timeout_s
    while True:
        try:
            lag = await commands_lag(bootstrap)
        except KafkaError as e:
            if not e.retriable or time.perf_counter() > deadline:
                raise
        else:
            if lag >= at_least or time.perf_counter() > deadline:
                return lag
        await asyncio.sleep(POLL_S)
