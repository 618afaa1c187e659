"""The API documentation works without internet: /docs and /redoc render in headless Chromium
(Debian's `chromium`) from assets this server serves (spec/security.md, "HTTP")."""

from __future__ import annotations

import shutil
import subprocess
import tempfile

import pytest

OPERATIONS = ("/api/booking", "/api/event/{event_id}/sse", "/api/user/login")


def rendered(url: str) -> str:
    """The page's DOM once its scripts ran, as headless Chromium sees it."""
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (deploy/local/infra.py installs it)"
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={profile}", "--virtual-time-budget=15000", "--dump-dom", url],
            capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


@pytest.mark.parametrize(("page", "rendered_mark"), [
    ("/docs", 'class="opblock-summary-path"'), ("/redoc", "Successful Response"),
])
def test_the_docs_render_their_operations_offline(base_url, page, rendered_mark):
    dom = rendered(base_url + page)
    assert rendered_mark in dom, dom[-2000:]
    for path in OPERATIONS:
        assert path in dom
