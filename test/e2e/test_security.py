"""The running service's security rules, over real HTTP (spec/security.md)."""

from __future__ import annotations

import subprocess

from test.e2e import processes


def test_the_service_refuses_to_start_without_a_signing_secret():
    port = processes.free_port()
    service = processes.start(
        "ticketing-no-secret",
        ["uvicorn", "src.service.ticketing.entrypoints.http:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port)],
        {"TICKETING_JWT_SECRET": "", "TICKETING_ENV": "production"},
    )
    try:
        returncode = service.popen.wait(60)
    except subprocess.TimeoutExpired:
        service.stop()
        raise AssertionError("started without a secret\n" + service.tail()) from None
    assert returncode != 0
    assert "TICKETING_JWT_SECRET must be set" in service.log_path.read_text()
