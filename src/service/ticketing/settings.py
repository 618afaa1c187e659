"""Ticketing service settings (env prefix `TICKETING_`), read once by `bootstrap`."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class TicketingSettings(BaseSettings):
    """HTTP-side knobs: token signing, cookie, outbox relay cadence."""

    model_config = SettingsConfigDict(env_prefix="TICKETING_", frozen=True)

    jwt_secret: str = "change-me-in-production-this-is-a-dev-secret"
    token_ttl_s: int = 24 * 3600
    cookie_name: str = "fastapiusersauth"
    cookie_secure: bool = False
    outbox_interval_s: float = 1.0
    outbox_republish_after_s: float = 10.0
    outbox_max_attempts: int = 10
    sse_ping_s: int = 15
    sse_recent_s: float = 60.0
