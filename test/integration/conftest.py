"""Fixtures for the integration tier: real PostgreSQL, Kafka and redis-server.

The Makefile starts them with `deploy/local/infra.py` (profile `test`), runs the migrations,
and exports DATABASE_URL, KVROCKS_URL and KAFKA_BOOTSTRAP_SERVERS before pytest starts.
"""

import pytest

from src.platform.db import create_pool
from src.platform.kvrocks import create_client
from src.platform.settings import DatabaseSettings, KafkaSettings, KvrocksSettings


@pytest.fixture(scope="session")
def kafka_settings() -> KafkaSettings:
    return KafkaSettings()


@pytest.fixture(scope="session")
def kvrocks_settings() -> KvrocksSettings:
    return KvrocksSettings()


@pytest.fixture(scope="session")
def database_settings() -> DatabaseSettings:
    return DatabaseSettings()


@pytest.fixture(scope="session")
async def pg_pool(database_settings):
    pool = await create_pool(database_settings)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def redis(kvrocks_settings):
    client = create_client(kvrocks_settings)
    yield client
    await client.aclose()
