"""The service refuses to start on development-only settings outside development, and the
local launcher keeps one signing secret per data directory (spec/security.md,
"Configuration")."""

import stat

import pytest

from deploy.local.secret import ensure_secret
from src.service.ticketing.bootstrap import running
from src.service.ticketing.settings import DEV_JWT_SECRET, InsecureSettings, TicketingSettings

SECRET = "s" * 32


@pytest.mark.parametrize("secret", ["", "too-short"])
async def test_production_refuses_to_start_without_a_real_secret(secret, monkeypatch):
    # `running` checks before it opens PostgreSQL, Kvrocks or Kafka: none of them is reachable
    # here, so a check that came too late would fail with a connection error instead.
    for name in ("DATABASE_URL", "KVROCKS_URL"):
        monkeypatch.setenv(name, "postgresql://x@127.0.0.1:1/x" if name[0] == "D" else
                           "redis://127.0.0.1:1/0")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    with pytest.raises(InsecureSettings, match="TICKETING_JWT_SECRET"):
        async with running(TicketingSettings(jwt_secret=secret)):
            pass


def test_only_development_may_run_on_the_public_key(monkeypatch):
    monkeypatch.setenv("TICKETING_ENV", "development")
    development = TicketingSettings()
    development.check_startup()
    assert development.signing_secret == DEV_JWT_SECRET
    TicketingSettings(env="production", jwt_secret=SECRET).check_startup()
    assert TicketingSettings(jwt_secret=SECRET).signing_secret == SECRET


def test_the_session_cookie_is_secure_outside_development():
    assert TicketingSettings().secure_cookie is True
    assert TicketingSettings(env="development").secure_cookie is False
    assert TicketingSettings(env="development", cookie_secure=True).secure_cookie is True


def test_the_local_secret_is_made_once_with_mode_600(tmp_path):
    path = tmp_path / "run" / "jwt_secret"
    secret, created = ensure_secret(path)
    assert created and len(secret) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_secret(path) == (secret, False)
