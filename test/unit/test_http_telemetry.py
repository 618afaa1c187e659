"""FastAPI's native OpenTelemetry instrumentation is off unless `TICKETING_TELEMETRY` turns it
on (spec/performance.md, "Session of 2026-12-02 (evening)"): off, no request looks the global
providers up; on, FastAPI's own defaults apply."""

from src.service.ticketing.entrypoints.http import telemetry
from src.service.ticketing.settings import TicketingSettings


def test_telemetry_is_off_by_default_and_all_three_signals_follow_the_setting(monkeypatch):
    assert TicketingSettings().telemetry is False
    assert telemetry(False) == {"tracing": False, "metrics": False, "logs": False}
    assert telemetry(True) == {}  # FastAPI's defaults: every signal through global providers
    monkeypatch.setenv("TICKETING_TELEMETRY", "true")
    assert TicketingSettings().telemetry is True
