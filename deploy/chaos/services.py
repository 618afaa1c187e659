"""The services under test, as children of the suite: the ticketing API (the launcher
`entrypoints/serve.py`, one master and its workers; uvicorn unless TICKETING_SERVER says
granian) and the reservation consumers. Faults are dealt by exact pid."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from deploy.chaos.backing import ROOT, ChaosError
from deploy.chaos.procs import Child, children, cmdline, kill9

API_LAUNCHER = "src.service.ticketing.entrypoints.serve"
CONSUMER_MODULE = "src.service.reservation.entrypoints.consumer"
HEALTH_TIMEOUT_S = 120.0


async def healthy(port: int) -> bool:
    """True if GET /health on 127.0.0.1:`port` answers 200."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        line = await asyncio.wait_for(reader.readline(), 3)
        return line.startswith(b"HTTP/1.1 200")
    except (OSError, TimeoutError, EOFError):
        return False
    finally:
        writer.close()


class Services:
    """One API (`workers` server workers on `port`) and a list of consumers, all logging to
    files in `logs`."""

    def __init__(self, env: dict[str, str], logs: Path, port: int, workers: int):
        self.env, self.logs, self.port, self.workers = env, logs, port, workers
        # The launcher's settings; laid over `env` at each start, since the suite adds the
        # backing services' variables to `env` after this.
        self.api_settings = {"TICKETING_HOST": "127.0.0.1", "TICKETING_PORT": str(port),
                             "TICKETING_WORKERS": str(workers), "TICKETING_LOG_LEVEL": "warning"}
        argv = [sys.executable, "-m", API_LAUNCHER]
        self.api = Child("ticketing", argv, env, logs / "ticketing.log", ROOT)
        self.consumers: list[Child] = []

    # ------------------------------------------------------------ API
    async def start_api(self) -> float:
        """Start the API and wait until it answers /health; returns the seconds it took."""
        started = time.monotonic()
        self.api.env = self.env | self.api_settings
        self.api.start()
        while time.monotonic() - started < HEALTH_TIMEOUT_S:
            if not self.api.running():
                raise ChaosError(f"the API exited; see {self.api.log}")
            if await healthy(self.port):
                return time.monotonic() - started
            await asyncio.sleep(0.2)
        raise ChaosError(f"the API is not healthy after {HEALTH_TIMEOUT_S:.0f}s")

    def worker_pids(self) -> list[int]:
        """The server's workers below the API master: uvicorn's are multiprocessing
        `spawn_main` children, Granian's are forked and have the master's own command line."""
        if not self.api.running():
            return []
        master = cmdline(self.api.pid)
        return [p for p in children(self.api.pid)
                if "spawn_main" in " ".join(argv := cmdline(p)) or argv == master]

    def kill_worker(self) -> int:
        """SIGKILL one server worker (the master is left to replace it); returns its pid."""
        workers = self.worker_pids()
        if not workers:
            raise ChaosError("no server worker to kill")
        kill9(workers[0])
        return workers[0]

    async def wait_workers(self, gone: int, timeout: float = HEALTH_TIMEOUT_S) -> float:
        """Wait until the master runs `workers` workers again, none of them `gone`, and the API
        answers; returns the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            pids = self.worker_pids()
            if len(pids) == self.workers and gone not in pids and await healthy(self.port):
                return time.monotonic() - started
            await asyncio.sleep(0.2)
        raise ChaosError(f"the server did not replace worker {gone} within {timeout:.0f}s")

    # ------------------------------------------------------------ consumers
    def start_consumer(self) -> int:
        """Start one more reservation consumer; returns its pid."""
        n = len(self.consumers) + 1
        child = Child(f"reservation-{n}", [sys.executable, "-m", CONSUMER_MODULE], self.env,
                      self.logs / f"reservation-{n}.log", ROOT)
        child.start()
        self.consumers.append(child)
        return child.pid

    def kill_consumer(self, index: int = 0) -> int:
        """SIGKILL consumer `index` (it stays in the list, dead, until `restart_consumer`)."""
        child = self.consumers[index]
        pid = child.pid
        if not child.kill9():
            raise ChaosError(f"consumer {child.name} was not running")
        return pid

    def restart_consumer(self, index: int = 0) -> int:
        """Start consumer `index` again (same log); returns the new pid."""
        return self.consumers[index].start()

    async def ensure(self, consumers: int) -> None:
        """Exactly `consumers` live consumers and a healthy API, before a scenario."""
        if not self.api.running() or not await healthy(self.port):
            self.api.stop(5)
            await self.start_api()
        for child in self.consumers:
            if not child.running():
                child.start()
        while len(self.consumers) < consumers:
            self.start_consumer()
        while len(self.consumers) > consumers:
            self.consumers.pop().stop()

    def stop_all(self) -> None:
        """SIGTERM every child (SIGKILL after a grace period), consumers first."""
        for child in [*self.consumers, self.api]:
            child.stop()
