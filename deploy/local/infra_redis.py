"""redis-server of the local launcher (stands in for Kvrocks), under .local/<profile>/redis."""

from __future__ import annotations

import shutil
import socket

from infra_common import Cfg, log, pid_alive, run, stop_pid, tail, wait_for


def redis_ping(c: Cfg) -> bool:
    """True if the profile's redis answers PING with PONG."""
    with socket.create_connection((c.host, c.redis_port), timeout=1) as s:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        return s.recv(64).startswith(b"+PONG")


def redis_up(c: Cfg) -> None:
    """Start the profile's redis-server (daemonized) unless it runs; wait for PONG."""
    c.redis.mkdir(parents=True, exist_ok=True)
    pidfile = c.redis / "redis.pid"
    if pid_alive(pidfile, "redis-server"):
        log("redis already running: reused")
    else:
        persist = ["save 300 1"] if c.profile == "run" else ['save ""']
        conf = [
            f"bind {c.host}",
            f"port {c.redis_port}",
            f"dir {c.redis}",
            "daemonize yes",
            f"pidfile {pidfile}",
            f"logfile {c.redis / 'redis.log'}",
            "appendonly no",
            "protected-mode no",
            *persist,
        ]
        (c.redis / "redis.conf").write_text("\n".join(conf) + "\n")
        log(f"starting redis-server on {c.host}:{c.redis_port}")
        run([shutil.which("redis-server"), str(c.redis / "redis.conf")])
    wait_for("redis", lambda: redis_ping(c), 20, lambda: tail(c.redis / "redis.log"))


def redis_down(c: Cfg) -> None:
    """Stop the profile's redis-server if it is running."""
    pid = pid_alive(c.redis / "redis.pid", "redis-server")
    if pid:
        stop_pid(pid, "redis", 10)
