"""The `chaos` profile's backing services: PostgreSQL, Kafka and redis-server (Kvrocks'
stand-in), brought up and down with `deploy/local/infra.py --profile chaos`, and faulted by
exact pid, read from the profile's own pidfiles under `.local/chaos/` and checked against
the process's command line (its own port or config file), or with `pg_ctl -D .local/chaos/pg`.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import socket
import sys
import time
from pathlib import Path

from redis.asyncio import Redis

from deploy.chaos.procs import alive, kill9

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / "deploy" / "local"
PROFILE = "chaos"
INFRA_TIMEOUT_S = 240.0
PORT_VARIABLES = ("PG_PORT", "REDIS_PORT", "KAFKA_PORT", "KAFKA_CONTROLLER_PORT")


class ChaosError(RuntimeError):
    """The suite cannot go on (infrastructure or a service would not come up)."""


def own_ports() -> None:
    """The launcher's port overrides (PG_PORT, …) may be meant for another profile (e.g. set
    for `make test`): this process and its children use CHAOS_PG_PORT, … instead, or the
    chaos profile's defaults."""
    for name in PORT_VARIABLES:
        os.environ.pop(name, None)
        if os.environ.get(f"CHAOS_{name}"):
            os.environ[name] = os.environ[f"CHAOS_{name}"]


def _infra_common():
    """deploy/local/infra_common.py (a script's sibling module, not a package)."""
    if str(LOCAL) not in sys.path:
        sys.path.append(str(LOCAL))
    return importlib.import_module("infra_common")


class Backing:
    """PostgreSQL, Kafka and redis-server of the `chaos` profile; `log` gets the launcher's
    output."""

    def __init__(self, log: Path):
        own_ports()
        self.common = _infra_common()
        self.cfg = self.common.Cfg(PROFILE)
        self.log = log

    def env(self) -> dict[str, str]:
        """DATABASE_URL, KVROCKS_URL and KAFKA_BOOTSTRAP_SERVERS of the profile (its env file)."""
        out = {}
        for line in (self.cfg.data / "env").read_text().splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            if value:
                out[name.strip()] = value.strip()
        return out

    def busy_ports(self, extra: tuple[int, ...] = ()) -> list[int]:
        """The profile's ports (and `extra`) something already listens on: another checkout's
        chaos run, say. The suite refuses to start then, rather than talk to someone else's
        server (a FLUSHALL must only ever reach its own redis-server)."""
        c = self.cfg
        busy = []
        for port in (c.pg_port, c.redis_port, c.kafka_port, c.kafka_cport, *extra):
            with socket.socket() as s:
                s.settimeout(1)
                if s.connect_ex((c.host, port)) == 0:
                    busy.append(port)
        return busy

    async def up(self, fresh: bool = False) -> float:
        """`infra.py up --profile chaos` (live components are reused, dead ones started and
        waited for); returns the seconds it took."""
        started = time.monotonic()
        argv = ["python3", str(LOCAL / "infra.py"), "up", "--profile", PROFILE]
        await self._run([*argv, "--fresh"] if fresh else argv, INFRA_TIMEOUT_S)
        return time.monotonic() - started

    async def restart(self, tries: int = 3) -> tuple[float, int]:
        """`up` for a component a fault stopped, tried again (5 s apart) if it fails to come
        up; returns (seconds in all, tries it took). Raises the last failure."""
        started = time.monotonic()
        for attempt in range(1, tries + 1):
            try:
                await self.up()
                return time.monotonic() - started, attempt
            except ChaosError:
                if attempt == tries:
                    raise
                await asyncio.sleep(5)
        raise AssertionError("unreachable")

    def down(self) -> None:
        """`infra.py down --profile chaos` (synchronous: it also runs while the suite exits)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        argv = ["python3", str(LOCAL / "infra.py"), "down", "--profile", PROFILE]
        with self.log.open("ab") as out:
            self.common.run(argv, check=False, stdout=out, stderr=out, timeout=120)

    async def _run(self, argv: list[str], timeout: float, cwd: Path = ROOT) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            proc = await asyncio.create_subprocess_exec(*argv, stdout=out, stderr=out, cwd=cwd)
            try:
                rc = await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                proc.kill()
                await proc.wait()
                rc = -1
        if rc:
            tail = self.common.tail(self.log, 15)
            raise ChaosError(f"{' '.join(argv[1:4])} failed ({rc}):\n{tail}")

    # ------------------------------------------------------------ Kafka and redis-server
    def kafka_pid(self) -> int | None:
        """The profile's broker (pidfile, command line naming its server.properties)."""
        props = str(self.cfg.kafka / "server.properties")
        return self.common.pid_alive(self.cfg.kafka / "kafka.pid", props)

    def redis_pid(self) -> int | None:
        """The profile's redis-server (pidfile, process title naming its port)."""
        needle = f"{self.cfg.host}:{self.cfg.redis_port}"
        return self.common.pid_alive(self.cfg.redis / "redis.pid", needle)

    def kill(self, component: str) -> int:
        """SIGKILL the profile's `kafka` or `redis`; returns its pid once it is gone."""
        pid = self.kafka_pid() if component == "kafka" else self.redis_pid()
        if pid is None:
            raise ChaosError(f"no running {component} of profile {PROFILE} to kill")
        kill9(pid)
        deadline = time.monotonic() + 15
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        return pid

    async def redis(self, *command: str):
        """One command on the profile's redis-server (FLUSHALL, SAVE, PING…)."""
        client = Redis(host=self.cfg.host, port=self.cfg.redis_port, protocol=2,
                       socket_timeout=30)
        try:
            return await client.execute_command(*command)
        finally:
            await client.aclose()

    # ------------------------------------------------------------ PostgreSQL
    async def pg_ctl(self, action: str) -> None:
        """`pg_ctl -m fast -w {restart|stop|start}` on the profile's cluster."""
        pg = self.cfg.pg
        argv = [str(self.common.pg_bin() / "pg_ctl"), "-D", str(pg), "-m", "fast", "-w", "-t", "60"]
        if action != "stop":
            argv += ["-l", str(pg / "postgres.log")]
        await self._run(self.common.as_postgres([*argv, action]), 90, cwd=pg)

    def pg_running(self) -> bool:
        """True while the profile's postmaster runs (its postmaster.pid names a live pid)."""
        return self.common.pid_alive(self.cfg.pg / "postmaster.pid", str(self.cfg.pg)) is not None
