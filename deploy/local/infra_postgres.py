"""PostgreSQL of the local launcher: own cluster under .local/<profile>/pg, role and db."""

from __future__ import annotations

import os
import shutil
import subprocess

from infra_common import Cfg, as_postgres, die, log, pg_bin, run, tail, wait_for


def pg_init(c: Cfg) -> None:
    """initdb the profile's cluster if it has none yet; it includes infra.conf."""
    if (c.pg / "PG_VERSION").exists():
        return
    log(f"initdb {c.pg}")
    c.pg.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(c.pg, "postgres", "postgres")
    os.chmod(c.pg, 0o700)
    initdb = [str(pg_bin() / "initdb"), "-D", str(c.pg), "-U", "postgres", "--auth=trust"]
    run(as_postgres([*initdb, "-E", "UTF8", "--locale=C"]), stdout=subprocess.DEVNULL, cwd=c.pg)
    with open(c.pg / "postgresql.conf", "a") as f:
        f.write("\ninclude_if_exists = 'infra.conf'\n")


def pg_configure(c: Cfg) -> None:
    """Write infra.conf: address, port, socket dir, sizes; no durability for `test`."""
    settings = {
        "listen_addresses": f"'{c.host}'",
        "port": c.pg_port,
        "unix_socket_directories": f"'{c.pg}'",
        "max_connections": 200,
        "shared_buffers": "'256MB'",
    }
    if c.profile == "test":
        settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
    (c.pg / "infra.conf").write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))


def pg_start(c: Cfg) -> None:
    """Start the cluster unless it is running, then wait until it accepts connections."""
    bindir = pg_bin()
    pgctl = [str(bindir / "pg_ctl"), "-D", str(c.pg)]
    status = run(as_postgres([*pgctl, "status"]), check=False, capture_output=True, cwd=c.pg)
    if status.returncode == 0:
        log("postgres already running: reused")
    else:
        log(f"starting postgres {bindir.parent.name} on {c.host}:{c.pg_port}")
        r = run(
            as_postgres([*pgctl, "-l", str(c.pg / "postgres.log"), "-w", "-t", "60", "start"]),
            check=False,
            stdout=subprocess.DEVNULL,
            cwd=c.pg,
        )
        if r.returncode:
            die(f"postgres failed to start:\n{tail(c.pg / 'postgres.log')}")
    isready = [str(bindir / "pg_isready"), "-q", "-h", c.host, "-p", str(c.pg_port)]
    wait_for(
        "postgres",
        lambda: run(isready, check=False).returncode == 0,
        30,
        lambda: tail(c.pg / "postgres.log"),
    )


def pg_provision(c: Cfg) -> None:
    """Create the role and database `ticketing` (password `ticketing`) if missing."""
    psql = [str(pg_bin() / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-U", "postgres"]
    psql = as_postgres([*psql, "-d", "postgres", "-h", str(c.pg), "-p", str(c.pg_port), "-c"])
    run(
        [
            *psql,
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ticketing') THEN "
            "CREATE ROLE ticketing LOGIN CREATEDB PASSWORD 'ticketing'; END IF; END $$",
        ],
        cwd=c.pg,
    )
    exists = run(
        [*psql, "SELECT 1 FROM pg_database WHERE datname = 'ticketing'"],
        capture_output=True,
        cwd=c.pg,
    ).stdout.strip()
    if not exists:
        run([*psql, "CREATE DATABASE ticketing OWNER ticketing"], cwd=c.pg)


def pg_up(c: Cfg) -> None:
    """Bring the profile's PostgreSQL up (idempotent) with role and database `ticketing`."""
    pg_init(c)
    pg_configure(c)
    pg_start(c)
    pg_provision(c)


def pg_down(c: Cfg) -> None:
    """Stop the profile's PostgreSQL (fast shutdown) if it has a postmaster.pid."""
    bindir = pg_bin()
    if not bindir or not (c.pg / "postmaster.pid").exists():
        return
    log("stopping postgres")
    run(
        as_postgres([str(bindir / "pg_ctl"), "-D", str(c.pg), "-m", "fast", "-w", "stop"]),
        check=False,
        stdout=subprocess.DEVNULL,
        cwd=c.pg,
    )
