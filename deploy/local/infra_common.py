"""Shared parts of the local launcher (deploy/local/infra.py): profiles, config, helpers.

Stdlib only, like the launcher: imported as a sibling module (this directory is sys.path[0]
when infra.py runs as a script).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROFILES = {  # pg, redis, kafka broker, kafka controller
    "run": (15432, 16379, 19092, 19093),
    "test": (25432, 26379, 29092, 29093),
    "bench": (35432, 36379, 39092, 39093),
    # The fault-injection suite (deploy/chaos) restarts these listeners while clients reconnect
    # by the thousand: its ports stay below Linux's ephemeral range (32768-60999), where any
    # outgoing socket may hold the port meanwhile ("Address already in use" on restart).
    "chaos": (31432, 31379, 31092, 31093),
}


def log(msg: str) -> None:
    """Print a launcher progress line."""
    print(f"[infra] {msg}", flush=True)


def die(msg: str) -> None:
    """Print an error on stderr and exit with status 1."""
    print(f"[infra] ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


class Cfg:
    """Address, ports and data dirs of one profile (ports overridable from the environment)."""

    def __init__(self, profile: str):
        pg, rd, kb, kc = PROFILES[profile]
        env = os.environ
        self.profile = profile
        self.host = env.get("INFRA_HOST", "127.0.0.1")
        self.pg_port = int(env.get("PG_PORT", pg))
        self.redis_port = int(env.get("REDIS_PORT", rd))
        self.kafka_port = int(env.get("KAFKA_PORT", kb))
        self.kafka_cport = int(env.get("KAFKA_CONTROLLER_PORT", kc))
        self.data = ROOT / ".local" / profile
        self.pg, self.redis, self.kafka = self.data / "pg", self.data / "redis", self.data / "kafka"


# ---------------------------------------------------------------- processes
def run(cmd: list[str], check: bool = True, **kw) -> subprocess.CompletedProcess:
    """subprocess.run with text I/O, raising on failure unless check=False."""
    return subprocess.run(cmd, check=check, text=True, **kw)


def as_postgres(cmd: list[str]) -> list[str]:
    """cmd run as the postgres user when we are root (initdb/pg_ctl refuse root)."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def pid_alive(pidfile: Path, needle: str) -> int | None:
    """Pid from pidfile if that process is alive and its cmdline contains needle."""
    try:
        pid = int(pidfile.read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, ValueError, IndexError):
        return None
    return pid if needle in cmdline else None


def stop_pid(pid: int, name: str, grace: float) -> None:
    """SIGTERM pid, then SIGKILL it if it is still alive after grace seconds."""
    log(f"stopping {name} (pid {pid})")
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + grace
    while time.time() < deadline:
        if not alive(pid):
            return
        time.sleep(0.2)
    log(f"{name} did not stop within {grace:.0f}s: SIGKILL")
    os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    """True if pid exists and is not a zombie (our Popen child is never reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except (OSError, IndexError):
        return False


def tail_text(text: str, n: int = 40) -> str:
    """The last n lines of text."""
    return "\n".join(text.splitlines()[-n:])


def tail(path: Path, n: int = 40) -> str:
    """The last n lines of a file, or a placeholder if it cannot be read."""
    try:
        return tail_text(path.read_text(errors="replace"), n)
    except OSError:
        return f"(no {path})"


def wait_for(what: str, check, timeout: float, details) -> None:
    """Poll check() until true; on timeout die with details() (e.g. a log tail)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.3)
    die(f"{what} not ready after {timeout:.0f}s\n{details()}")


# ---------------------------------------------------------------- packages
def pg_bin() -> Path | None:
    """bin dir of the newest installed PostgreSQL (/usr/lib/postgresql/<v>/bin), if any."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def ensure_packages(browser: bool = False) -> None:
    """apt-get install whatever is missing of PostgreSQL, redis-server, Java 17 and Maven, and
    with `browser` of Debian's chromium (the test profile: the e2e tier loads /docs in it)."""
    wanted = {
        "postgresql": pg_bin() is not None,
        "redis-server": shutil.which("redis-server") is not None,
        "openjdk-17-jre-headless": shutil.which("java") is not None,
        "maven": shutil.which("mvn") is not None,
    }
    if browser:
        wanted["chromium"] = shutil.which("chromium") is not None
    missing = [pkg for pkg, ok in wanted.items() if not ok]
    if not missing:
        return
    log(f"installing with apt-get: {' '.join(missing)}")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run([*sudo, "apt-get", "update", "-qq"], env=env)
    run(
        [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    for svc in ("redis-server", "postgresql"):  # the system services are not ours; save memory
        if svc in missing:
            run([*sudo, "service", svc, "stop"], check=False, capture_output=True)
