"""Settings of the reservation service, read from the environment once in `bootstrap`."""

from dataclasses import dataclass

from pydantic_settings import BaseSettings, SettingsConfigDict

from src.platform.settings import DatabaseSettings, KafkaSettings, KvrocksSettings
from src.service.contract import COMMANDS_TOPIC, DEAD_LETTER_TOPIC, RESERVATION_GROUP


class ConsumerSettings(BaseSettings):
    """The consumer loop: `RESERVATION_BATCH_MAX`, `RESERVATION_POLL_TIMEOUT_MS`,
    `RESERVATION_AUDIT_INTERVAL_S` (seat-map audit; 0 turns it off), …"""

    model_config = SettingsConfigDict(env_prefix="RESERVATION_", frozen=True)

    batch_max: int = 2000
    poll_timeout_ms: int = 50
    dlq_enabled: bool = True
    group_id: str = RESERVATION_GROUP
    commands_topic: str = COMMANDS_TOPIC
    dead_letter_topic: str = DEAD_LETTER_TOPIC
    backoff_min_s: float = 0.2
    backoff_max_s: float = 5.0
    audit_interval_s: float = 5.0
    log_level: str = "INFO"


@dataclass(frozen=True)
class Settings:
    """Every concern the reservation service needs."""

    consumer: ConsumerSettings
    database: DatabaseSettings
    kvrocks: KvrocksSettings
    kafka: KafkaSettings


def load_settings() -> Settings:
    """Read all settings from the environment."""
    return Settings(ConsumerSettings(), DatabaseSettings(), KvrocksSettings(), KafkaSettings())
