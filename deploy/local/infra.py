#!/usr/bin/env python3
"""Local infrastructure launcher (no Docker): PostgreSQL, redis-server, Kafka (KRaft).

redis-server stands in for Kvrocks. Stdlib only: runs with the system python3 before any venv
exists (Debian 12, normally as root).

    python3 deploy/local/infra.py up   --profile {run,test,bench} [--fresh]
    python3 deploy/local/infra.py down --profile ...
    python3 deploy/local/infra.py env  --profile ...     # print .local/<profile>/env

Each profile has its own ports and data dir .local/<profile>/ so profiles can run side by side.
Ports/address override: INFRA_HOST, PG_PORT, REDIS_PORT, KAFKA_PORT, KAFKA_CONTROLLER_PORT.
Missing packages are installed with apt-get; Kafka jars come from Maven Central via
deploy/kafka/pom.xml into .cache/kafka/lib. `up` is idempotent: live processes are reused.

One module per component, next to this script (its directory is sys.path[0] when run):
infra_common (profiles, config, process helpers, apt-get), infra_postgres, infra_redis,
infra_kafka.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

from infra_common import PROFILES, ROOT, Cfg, die, ensure_packages, log
from infra_kafka import ensure_kafka_jars, kafka_down, kafka_start, kafka_wait
from infra_postgres import pg_down, pg_up
from infra_redis import redis_down, redis_up


def env_file(c: Cfg) -> Path:
    """The profile's env file, .local/<profile>/env."""
    return c.data / "env"


def up(c: Cfg, fresh: bool) -> None:
    """Bring the profile up (wiped first with fresh), write and print its env file."""
    t0 = time.time()
    if fresh:
        down(c)
        log(f"--fresh: wiping {c.data}")
        shutil.rmtree(c.data, ignore_errors=True)
    c.data.mkdir(parents=True, exist_ok=True)
    os.chmod(c.data, 0o755)
    ensure_packages(browser=c.profile == "test")
    ensure_kafka_jars()
    kafka_pid = kafka_start(c)  # slowest to boot: start first, wait last
    pg_up(c)
    redis_up(c)
    kafka_wait(c, kafka_pid)
    env_file(c).write_text(
        f"export DATABASE_URL=postgresql://ticketing:ticketing@{c.host}:{c.pg_port}/ticketing\n"
        f"export KVROCKS_URL=redis://{c.host}:{c.redis_port}/0\n"
        f"export KAFKA_BOOTSTRAP_SERVERS={c.host}:{c.kafka_port}\n"
    )
    log(f"profile '{c.profile}' up in {time.time() - t0:.1f}s  (data: {c.data})")
    print(env_file(c).read_text(), end="")
    log(f"load it with:  . {env_file(c).relative_to(ROOT)}")


def down(c: Cfg) -> None:
    """Stop the profile's Kafka, redis and PostgreSQL (its data is kept)."""
    kafka_down(c)
    redis_down(c)
    pg_down(c)
    log(f"profile '{c.profile}' down")


def main() -> None:
    """Command line: up | down | env, --profile, --fresh."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["up", "down", "env"])
    ap.add_argument("--profile", choices=sorted(PROFILES), default="run")
    ap.add_argument("--fresh", action="store_true", help="wipe the profile's data dir first (up)")
    a = ap.parse_args()
    c = Cfg(a.profile)
    if a.command == "up":
        up(c, a.fresh)
    elif a.command == "down":
        down(c)
    elif not env_file(c).exists():
        die(f"{env_file(c)} missing: run `up --profile {a.profile}` first")
    else:
        print(env_file(c).read_text(), end="")


if __name__ == "__main__":
    main()
