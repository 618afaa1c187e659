"""Ticketing service settings (env prefix `TICKETING_`), read once by `bootstrap`."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class TicketingSettings(BaseSettings):
    """HTTP-side knobs, durations in seconds (README, "Configuration"): token signing and
    cookie; the outbox relay's cadence, first re-send and backoff cap; the settle deadline
    after which a booking still processing is given up; the broker probe interval while the
    circuit is open; how long an Idempotency-Key is remembered (spec/architecture.md,
    guarantees 8 and 9); SSE pings and look-back; how long a process trusts the event status
it cached (spec/tickets.md, rule 18)."""

    model_config = SettingsConfigDict(env_prefix="TICKETING_", frozen=True)

    jwt_secret: str = "change-me-in-production-this-is-a-dev-secret"
    token_ttl_s: int = 24 * 3600
    cookie_name: str = "fastapiusersauth"
    cookie_secure: bool = False
    outbox_interval_s: float = 1.0
    outbox_republish_after_s: float = 10.0
    outbox_backoff_cap_s: float = 300.0
    settle_deadline_s: float = 600.0
    publish_probe_s: float = 1.0
    idempotency_ttl_s: float = 24 * 3600
    sse_ping_s: int = 15
    sse_recent_s: float = 60.0
    event_status_ttl_s: float = 1.0
