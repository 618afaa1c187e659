"""Infrastructure settings shared by both services, read from the environment once.

Each model covers one concern; services build them in their `bootstrap` and pass them down.
Variable names match `deploy/local/infra.py` and `docker-compose.yml`.
"""

from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseSettings):
    """PostgreSQL: `DATABASE_URL` (postgresql://user:pass@host:port/db), pool bounds, and how
    long a request waits for a pooled connection (`DATABASE_ACQUIRE_TIMEOUT_S`) before it is
    answered 503."""

    model_config = SettingsConfigDict(env_prefix="DATABASE_", frozen=True)

    url: str = "postgresql://ticketing:ticketing@127.0.0.1:15432/ticketing"
    pool_min: int = 2
    pool_max: int = 20
    acquire_timeout_s: float = 10.0


class KvrocksSettings(BaseSettings):
    """Kvrocks (redis-server locally): `KVROCKS_URL`, e.g. redis://127.0.0.1:16379/0."""

    model_config = SettingsConfigDict(env_prefix="KVROCKS_", frozen=True)

    url: str = "redis://127.0.0.1:16379/0"
    max_connections: int = 200
    pool_timeout_s: float = 5.0


class KafkaSettings(BaseSettings):
    """Kafka: `KAFKA_BOOTSTRAP_SERVERS`, topic partition count, producer linger (ms), and the
    consumer's fetch floor: the broker answers a fetch once `fetch_min_bytes` are ready or
    `fetch_max_wait_ms` have passed, so that a busy consumer takes fewer, larger batches."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", frozen=True)

    bootstrap_servers: str = "127.0.0.1:19092"
    partitions: int = 8
    linger_ms: int = 5
    fetch_min_bytes: int = 32 * 1024
    fetch_max_wait_ms: int = 50
    send_timeout_s: float = 5.0
    stop_timeout_s: float = 5.0
