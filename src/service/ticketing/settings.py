"""Ticketing service settings (env prefix `TICKETING_`), read once by `bootstrap`.

Outside development (`TICKETING_ENV=development`) the service refuses to start without a
signing secret of its own (spec/security.md, "Configuration").
"""

from typing import Literal

from limits import parse
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from src.service.ticketing.domain.seating import MAX_SEATS_PER_EVENT

# Public on purpose: only ever used in development, where no secret is configured.
DEV_JWT_SECRET = "development-only-signing-key-never-use-it-in-production"
MIN_SECRET_LENGTH = 32


class InsecureSettings(RuntimeError):
    """The configuration is only safe for development; the service does not start with it."""


class ServerSettings(BaseSettings):
    """The ASGI server the launcher starts (`entrypoints/serve.py`; spec/performance.md,
    "Servers and the listen backlog"): which server, its worker processes, where it listens,
    the listen backlog it asks the kernel for (capped by `net.core.somaxconn`), seconds an idle
    keep-alive connection is kept (spec/security.md, "Timeouts"), the proxies whose
    `X-Forwarded-For` names the client (comma-separated addresses or "*"; spec/security.md,
    "Abuse limits") and the server's log level."""

    model_config = SettingsConfigDict(env_prefix="TICKETING_", frozen=True)

    server: Literal["uvicorn", "granian"] = "uvicorn"
    workers: int = Field(default=2, ge=1)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    backlog: int = Field(default=4096, ge=1)
    keep_alive_s: int = Field(default=5, ge=1)
    forwarded_allow_ips: str = "127.0.0.1"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @property
    def trusted_proxies(self) -> list[str]:
        """`forwarded_allow_ips` as a list."""
        return [ip.strip() for ip in self.forwarded_allow_ips.split(",") if ip.strip()]


class TicketingSettings(BaseSettings):
    """HTTP-side knobs, durations in seconds (README, "Configuration"): environment, token
    signing and cookie; the outbox relay's cadence, first re-send and backoff cap; the
    settle deadline after which a booking still processing is given up; the broker probe
    interval while the circuit is open; how long an Idempotency-Key is remembered
    (spec/architecture.md, guarantees 8 and 9); SSE pings, look-back, stream caps and queues;
    the request-body read timeout; how long a process trusts the event status it cached
    (spec/tickets.md, rule 18)."""

    model_config = SettingsConfigDict(env_prefix="TICKETING_", frozen=True)

    env: Literal["production", "development"] = "production"
    jwt_secret: SecretStr = SecretStr("")
    token_ttl_s: int = 24 * 3600
    cookie_name: str = "fastapiusersauth"
    cookie_secure: bool | None = None  # None: Secure everywhere but in development
    seller_signup: Literal["open", "closed"] | None = None  # None: open only in development
    max_seats_per_event: int = Field(default=MAX_SEATS_PER_EVENT, ge=1, le=MAX_SEATS_PER_EVENT)
    session_cache_ttl_s: float = 5.0  # how late a revocation may be seen by another process
    session_cache_size: int = 100_000
    # Abuse limits, in `limits` notation ("10/minute", "2000/hour"); "" switches one off
    # (spec/security.md, "Abuse limits"). A load test of 200 buyers stays below all of them.
    limit_login_account: str = "10/minute"
    limit_login_address: str = "1000/minute"
    limit_register_address: str = "2000/hour"
    limit_booking_buyer: str = ""  # off; when on, counted without a round trip per booking
    outbox_interval_s: float = 1.0
    outbox_republish_after_s: float = 10.0
    outbox_backoff_cap_s: float = 300.0
    settle_deadline_s: float = 600.0
    # How often the expiry sweeper looks for bookings past their payment deadline
    # (spec/booking.md, rule 6): released seats are bookable within about this long.
    expiry_interval_s: float = Field(default=1.0, gt=0)
    publish_probe_s: float = 1.0
    # FastAPI's native OpenTelemetry instrumentation through the globally configured
    # providers. Off by default: even with no provider configured it looks the providers up
    # on every request (about 5 % of an API worker's CPU in a sustained run,
    # spec/performance.md, "Session of 2026-12-02 (evening)").
    telemetry: bool = False
    idempotency_ttl_s: float = 24 * 3600
    sse_ping_s: int = 15
    sse_recent_s: float = 60.0
    # Open SSE streams per process (spec/security.md, "Stream caps"). They share the process's
    # one pub/sub connection, so the process cap bounds memory and file descriptors, not
    # Kvrocks connections; each stream may be `sse_queue_size` messages behind before it is
    # dropped.
    sse_max_per_user: int = Field(default=10, ge=1)
    sse_max_per_address: int = Field(default=50, ge=1)
    sse_max_streams: int = Field(default=10_000, ge=1)
    sse_queue_size: int = Field(default=256, ge=1)
    # An event stream sends the seat counts (and door counts) that changed at most once per
    # this many seconds, the latest of each (a quiet event's first change at once), so a crowd
    # watching a busy event costs a wake-up per stream per interval, not per message
    # (spec/performance.md, "With idle SSE clients").
    sse_event_interval_s: float = Field(default=1.0, gt=0, le=60)
    # What one event's streams of a process may be sent per second, in message bytes: a
    # batch that, times the streams watching, costs more waits longer before the next one, up
    # to `sse_event_max_interval_s` (spec/security.md, "Stream caps"). 0: no budget.
    sse_event_budget_bytes_s: float = Field(default=4_000_000, ge=0)
    sse_event_max_interval_s: float = Field(default=10.0, gt=0, le=60)
    # The garbage collector's first threshold in each API process once start-up is done
    # (`platform/runtime.freeze_startup_heap`, spec/performance.md); 0 keeps Python's (700).
    gc_threshold0: int = Field(default=50_000, ge=0)
    # How long a JSON route waits for the whole request body (spec/security.md, "HTTP").
    body_timeout_s: float = Field(default=10.0, gt=0)

    @field_validator("limit_login_account", "limit_login_address", "limit_register_address",
                     "limit_booking_buyer")
    @classmethod
    def _limit(cls, text: str) -> str:
        if text:
            parse(text)  # ValueError: not in `limits` notation
        return text

    @property
    def development(self) -> bool:
        """True when `TICKETING_ENV=development`."""
        return self.env == "development"

    @property
    def signing_secret(self) -> str:
        """The token signing key: `TICKETING_JWT_SECRET`, else the public development key
        (`check_startup` keeps that out of production)."""
        return self.jwt_secret.get_secret_value() or DEV_JWT_SECRET

    @property
    def seller_signup_open(self) -> bool:
        """Whether anyone may sign up as a seller: `TICKETING_SELLER_SIGNUP`, by default only
        in development (elsewhere sellers are made by an operator, spec/security.md)."""
        if self.seller_signup is None:
            return self.development
        return self.seller_signup == "open"

    @property
    def secure_cookie(self) -> bool:
        """Whether the session cookie is `Secure`: `TICKETING_COOKIE_SECURE`, by default on
        outside development."""
        return not self.development if self.cookie_secure is None else self.cookie_secure

    def check_startup(self) -> None:
        """Raise `InsecureSettings` when the service must not start with these settings."""
        if self.development:
            return
        if len(self.jwt_secret.get_secret_value()) < MIN_SECRET_LENGTH:
            raise InsecureSettings(
                f"TICKETING_JWT_SECRET must be set to a random string of at least "
                f"{MIN_SECRET_LENGTH} characters (e.g. `openssl rand -hex 32`); "
                "only TICKETING_ENV=development runs without one"
            )
    event_status_ttl_s: float = 1.0
