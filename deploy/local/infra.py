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
"""

from __future__ import annotations

import argparse
import base64
import glob
import hashlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POM = ROOT / "deploy" / "kafka" / "pom.xml"
KAFKA_LIB = ROOT / ".cache" / "kafka" / "lib"
PROFILES = {  # pg, redis, kafka broker, kafka controller
    "run": (15432, 16379, 19092, 19093),
    "test": (25432, 26379, 29092, 29093),
    "bench": (35432, 36379, 39092, 39093),
}
KAFKA_TIMEOUT = 90


def log(msg: str) -> None:
    print(f"[infra] {msg}", flush=True)


def die(msg: str) -> None:
    print(f"[infra] ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


class Cfg:
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


# ---------------------------------------------------------------- helpers
def run(cmd: list[str], check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=check, text=True, **kw)


def as_postgres(cmd: list[str]) -> list[str]:
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
    return "\n".join(text.splitlines()[-n:])


def tail(path: Path, n: int = 40) -> str:
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
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def ensure_packages() -> None:
    wanted = {
        "postgresql": pg_bin() is not None,
        "redis-server": shutil.which("redis-server") is not None,
        "openjdk-17-jre-headless": shutil.which("java") is not None,
        "maven": shutil.which("mvn") is not None,
    }
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


# ---------------------------------------------------------------- postgres
def pg_up(c: Cfg) -> None:
    bindir = pg_bin()
    pgctl = [str(bindir / "pg_ctl"), "-D", str(c.pg)]
    if not (c.pg / "PG_VERSION").exists():
        log(f"initdb {c.pg}")
        c.pg.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(c.pg, "postgres", "postgres")
        os.chmod(c.pg, 0o700)
        initdb = [str(bindir / "initdb"), "-D", str(c.pg), "-U", "postgres", "--auth=trust"]
        run(as_postgres([*initdb, "-E", "UTF8", "--locale=C"]), stdout=subprocess.DEVNULL, cwd=c.pg)
        with open(c.pg / "postgresql.conf", "a") as f:
            f.write("\ninclude_if_exists = 'infra.conf'\n")
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
    psql = [str(bindir / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-U", "postgres"]
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


def pg_down(c: Cfg) -> None:
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


# ---------------------------------------------------------------- redis
def redis_ping(c: Cfg) -> bool:
    with socket.create_connection((c.host, c.redis_port), timeout=1) as s:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        return s.recv(64).startswith(b"+PONG")


def redis_up(c: Cfg) -> None:
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
    pid = pid_alive(c.redis / "redis.pid", "redis-server")
    if pid:
        stop_pid(pid, "redis", 10)


# ---------------------------------------------------------------- kafka
def ensure_kafka_jars() -> None:
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()
    stamp = KAFKA_LIB / ".pom.sha256"
    if (
        stamp.exists()
        and stamp.read_text() == digest
        and glob.glob(str(KAFKA_LIB / "kafka_2.13-*.jar"))
    ):
        return
    shutil.rmtree(KAFKA_LIB, ignore_errors=True)
    log("fetching Kafka jars from Maven Central (mvn dependency:copy-dependencies)")
    mvn = shutil.which("mvn")
    cmd = [mvn, "-q", "-B", "-Dstyle.color=never", "-f", str(POM), "dependency:copy-dependencies"]
    cmd.append(f"-DoutputDirectory={KAFKA_LIB}")
    r = run(cmd, check=False, capture_output=True) if mvn else None
    if r and r.returncode:
        print(tail_text(r.stdout + r.stderr), file=sys.stderr)
    if not r or r.returncode or not glob.glob(str(KAFKA_LIB / "kafka_2.13-*.jar")):
        print(
            "\n" + "!" * 72 + "\n!!! WARNING: could not obtain the Apache Kafka jars via Maven.\n"
            "!!! No fallback broker is implemented (Tansu fallback: not yet).\n"
            "!!! Check network access to Maven Central and `mvn -v`.\n" + "!" * 72,
            file=sys.stderr,
        )
        die("Kafka jars unavailable")
    stamp.write_text(digest)


def kafka_request(c: Cfg, api_key: int, version: int, body: bytes) -> bytes:
    client = b"infra"
    msg = struct.pack(">hhih", api_key, version, 7, len(client)) + client + body
    with socket.create_connection((c.host, c.kafka_port), timeout=2) as s:
        s.sendall(struct.pack(">i", len(msg)) + msg)
        size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
        return s.recv(size, socket.MSG_WAITALL)


def kafka_logs(c: Cfg) -> str:
    errors = [
        ln
        for ln in tail(c.kafka / "server.log", 2000).splitlines()
        if " ERROR " in ln or " FATAL " in ln
    ]
    return (
        "--- first errors in server.log ---\n" + "\n".join(errors[:5]) + "\n" if errors else ""
    ) + "".join(
        f"--- tail of {f} ---\n{tail(f, 25)}\n"
        for f in (c.kafka / "server.log", c.kafka / "kafka.out")
    )


def kafka_ready(c: Cfg, pid: int) -> bool:
    if not alive(pid):
        die(f"Kafka exited during startup\n{kafka_logs(c)}")
    # Metadata v4, no topics, no auto-create: answer lists the registered brokers.
    try:
        resp = kafka_request(c, 3, 4, struct.pack(">ib", 0, 0))
        corr, _throttle, brokers = struct.unpack(">iii", resp[:12])
    except (struct.error, ValueError):  # not (yet) speaking Kafka on that port
        return False
    return corr == 7 and brokers >= 1


def kafka_start(c: Cfg) -> int:
    pidfile = c.kafka / "kafka.pid"
    pid = pid_alive(pidfile, "kafka.Kafka")
    if pid:
        log("kafka already running: reused")
        return pid
    c.kafka.mkdir(parents=True, exist_ok=True)
    logdir = c.kafka / "data"
    props = {
        "process.roles": "broker,controller",
        "node.id": 1,
        "listeners": f"PLAINTEXT://{c.host}:{c.kafka_port},CONTROLLER://{c.host}:{c.kafka_cport}",
        "advertised.listeners": f"PLAINTEXT://{c.host}:{c.kafka_port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.quorum.voters": f"1@{c.host}:{c.kafka_cport}",
        "log.dirs": logdir,
        "num.partitions": 4,
        "auto.create.topics.enable": "false",
        "offsets.topic.replication.factor": 1,
        "transaction.state.log.replication.factor": 1,
        "transaction.state.log.min.isr": 1,
        "group.initial.rebalance.delay.ms": 0,
    }
    (c.kafka / "server.properties").write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    (c.kafka / "log4j.properties").write_text(
        "log4j.rootLogger=INFO, file\n"
        "log4j.appender.file=org.apache.log4j.RollingFileAppender\n"
        f"log4j.appender.file.File={c.kafka / 'server.log'}\n"
        "log4j.appender.file.MaxFileSize=20MB\nlog4j.appender.file.MaxBackupIndex=2\n"
        "log4j.appender.file.layout=org.apache.log4j.PatternLayout\n"
        "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
        "log4j.logger.kafka=INFO\nlog4j.logger.org.apache.kafka=INFO\n"
    )
    jvm = [
        "java",
        "-Djava.awt.headless=true",
        f"-Dlog4j.configuration=file:{c.kafka / 'log4j.properties'}",
        f"-Dkafka.logs.dir={c.kafka}",
        "-cp",
        str(KAFKA_LIB / "*"),
    ]
    if not (logdir / "meta.properties").exists():
        cluster_id = "-"
        while cluster_id.startswith("-"):
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        log(f"formatting KRaft storage (cluster id {cluster_id})")
        props_file = str(c.kafka / "server.properties")
        fmt = [*jvm, "-Xmx256m", "kafka.tools.StorageTool", "format", "-t", cluster_id]
        r = run([*fmt, "-c", props_file], check=False, capture_output=True)
        if r.returncode:
            die(f"kafka storage format failed:\n{r.stdout}{r.stderr}")
    log(f"starting kafka on {c.host}:{c.kafka_port} (controller {c.kafka_cport})")
    with open(c.kafka / "kafka.out", "ab") as out:
        heap = ["-Xms256m", "-Xmx768m", "-XX:+UseG1GC"]
        proc = subprocess.Popen(
            [*jvm, *heap, "kafka.Kafka", str(c.kafka / "server.properties")],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    pidfile.write_text(f"{proc.pid}\n")
    return proc.pid


def kafka_wait(c: Cfg, pid: int) -> None:
    wait_for("kafka", lambda: kafka_ready(c, pid), KAFKA_TIMEOUT, lambda: kafka_logs(c))


def kafka_down(c: Cfg) -> None:
    pid = pid_alive(c.kafka / "kafka.pid", "kafka.Kafka")
    if pid:
        stop_pid(pid, "kafka", 20)


# ---------------------------------------------------------------- commands
def env_file(c: Cfg) -> Path:
    return c.data / "env"


def up(c: Cfg, fresh: bool) -> None:
    t0 = time.time()
    if fresh:
        down(c)
        log(f"--fresh: wiping {c.data}")
        shutil.rmtree(c.data, ignore_errors=True)
    c.data.mkdir(parents=True, exist_ok=True)
    os.chmod(c.data, 0o755)
    ensure_packages()
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
    kafka_down(c)
    redis_down(c)
    pg_down(c)
    log(f"profile '{c.profile}' down")


def main() -> None:
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
