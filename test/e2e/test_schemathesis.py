"""Schemathesis over the live OpenAPI document with every check, as each of three principals
(spec/security.md, "Schemathesis"): anonymous, a buyer and a seller. Each run is `st run
--checks all` with `schemathesis.toml` (25 fuzzed cases per operation, deterministic
generation, one worker) against the e2e tier's own API, reservation consumer, PostgreSQL,
Kafka and Kvrocks; it passes when schemathesis reports no server error, no failed check and
no error, having tested every operation of the document. About 20-45 s per principal here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test.e2e import schemathesis_hooks as hooks
from test.e2e.helpers import sign_up

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CONFIG = HERE / "schemathesis.toml"
ST = Path(sys.executable).with_name("st")
RUN_TIMEOUT_S = 300  # far above a run's time; a hung run fails instead of stalling the tier


def run_schemathesis(
    base_url: str, tokens: dict[str, str], workdir: Path
) -> subprocess.CompletedProcess:
    """`st run --checks all` over `base_url`'s document with the hooks and `tokens` (the
    hooks' environment variables) in the environment, in `workdir` (so nothing it might
    write lands in the work tree)."""
    env = {k: v for k, v in os.environ.items() if k not in (hooks.TOKEN, hooks.LOGOUT_TOKEN)}
    env |= tokens | {"SCHEMATHESIS_HOOKS": "test.e2e.schemathesis_hooks", "PYTHONPATH": str(ROOT),
                     "NO_COLOR": "1"}
    command = [str(ST), "--config-file", str(CONFIG), "run", f"{base_url}/openapi.json",
               "--checks", "all"]
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S, check=False)


def tokens_of(client, principal: str) -> dict[str, str]:
    """The hooks' variables for `principal`: none for anonymous, else a fresh account's token
    and a second account's for logging out."""
    if principal == "anonymous":
        return {}
    return {hooks.TOKEN: sign_up(client, principal).token,
            hooks.LOGOUT_TOKEN: sign_up(client, principal).token}


@pytest.mark.parametrize("principal", ["anonymous", "buyer", "seller"])
def test_schemathesis_finds_no_server_error_and_no_failed_check(
    base_url, client, principal, tmp_path, record_property
):
    started = time.monotonic()
    result = run_schemathesis(base_url, tokens_of(client, principal), tmp_path)
    elapsed = time.monotonic() - started
    record_property("schemathesis_seconds", round(elapsed, 1))
    report = result.stdout[-30000:] + result.stderr[-5000:]
    assert result.returncode == 0, f"schemathesis as {principal}, {elapsed:.0f} s:\n{report}"
    selected, total = map(int, re.search(r"Selected: (\d+)/(\d+)", result.stdout).groups())
    tested = int(re.search(r"Tested: (\d+)", result.stdout).group(1))
    assert tested == selected == total > 30, report  # every operation of the document
