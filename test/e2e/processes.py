"""The real services as child processes of the test session: start, pause, stop, log tails.

Each process writes stdout and stderr to one file under `.local/test/logs/` so a failing
scenario can be diagnosed from the service side.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / ".local" / "test" / "logs"
REQUIRED_ENV = ("DATABASE_URL", "KVROCKS_URL", "KAFKA_BOOTSTRAP_SERVERS")


@dataclass
class Service:
    """One running service process and the file its output goes to."""

    name: str
    popen: subprocess.Popen
    log_path: Path
    paused: bool = False

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return f"--- last {lines} lines of {self.log_path} ---\n" + "\n".join(text[-lines:])

    def pause(self) -> None:
        """Freeze the process (SIGSTOP): it stays in its consumer group but does no work."""
        os.kill(self.popen.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        if self.paused:
            os.kill(self.popen.pid, signal.SIGCONT)
            self.paused = False

    def stop(self, timeout: float = 15.0) -> None:
        """Terminate, then kill if it does not exit in time."""
        self.resume()
        if not self.alive():
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)


def missing_env() -> list[str]:
    """Infrastructure variables the services need that are not set."""
    return [name for name in REQUIRED_ENV if not os.environ.get(name)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(name: str, module_args: list[str], extra_env: dict[str, str]) -> Service:
    """`python -m …` from the repository root with the current environment plus `extra_env`."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"{name}.log"
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            [sys.executable, "-m", *module_args],
            cwd=ROOT, env=os.environ | extra_env, stdout=log, stderr=subprocess.STDOUT,
        )
    return Service(name, popen, log_path)


def start_api(name: str, port: int, extra_env: dict[str, str], server: str | None = None,
              workers: int = 1) -> Service:
    """The ticketing API on 127.0.0.1:`port` through the launcher (`entrypoints/serve.py`),
    as every start script runs it; `server` None keeps the launcher's default server."""
    env = {"TICKETING_HOST": "127.0.0.1", "TICKETING_PORT": str(port),
           "TICKETING_WORKERS": str(workers)} | extra_env
    if server is not None:
        env["TICKETING_SERVER"] = server
    return start(name, ["src.service.ticketing.entrypoints.serve"], env)


def wait_healthy(base_url: str, service: Service, timeout: float = 60.0) -> None:
    """Poll `GET /health` until it answers 200; raises if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.alive():
            raise RuntimeError(f"{service.name} exited with {service.popen.returncode}\n"
                               + service.tail())
        try:
            if httpx.get(f"{base_url}/health", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{service.name} not healthy after {timeout}s\n" + service.tail())
