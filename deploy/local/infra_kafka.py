"""Kafka (KRaft, single broker+controller) of the local launcher, under .local/<profile>/kafka.

The jars come from Maven Central via deploy/kafka/pom.xml into .cache/kafka/lib.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import shutil
import socket
import struct
import subprocess
import sys
import uuid

from infra_common import (
    ROOT,
    Cfg,
    alive,
    die,
    log,
    pid_alive,
    run,
    stop_pid,
    tail,
    tail_text,
    wait_for,
)

POM = ROOT / "deploy" / "kafka" / "pom.xml"
KAFKA_LIB = ROOT / ".cache" / "kafka" / "lib"
KAFKA_TIMEOUT = 90


def ensure_kafka_jars() -> None:
    """Fetch the Kafka jars with mvn unless .cache/kafka/lib matches the pom already."""
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
    """Send one raw Kafka request (correlation id 7) to the broker; return the response."""
    client = b"infra"
    msg = struct.pack(">hhih", api_key, version, 7, len(client)) + client + body
    with socket.create_connection((c.host, c.kafka_port), timeout=2) as s:
        s.sendall(struct.pack(">i", len(msg)) + msg)
        size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
        return s.recv(size, socket.MSG_WAITALL)


def kafka_logs(c: Cfg) -> str:
    """First errors of server.log plus the tails of server.log and kafka.out."""
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
    """True once the broker lists a registered broker; die if the process has exited."""
    if not alive(pid):
        die(f"Kafka exited during startup\n{kafka_logs(c)}")
    # Metadata v4, no topics, no auto-create: answer lists the registered brokers.
    try:
        resp = kafka_request(c, 3, 4, struct.pack(">ib", 0, 0))
        corr, _throttle, brokers = struct.unpack(">iii", resp[:12])
    except (struct.error, ValueError):  # not (yet) speaking Kafka on that port
        return False
    return corr == 7 and brokers >= 1


def kafka_configure(c: Cfg) -> None:
    """Write server.properties (KRaft combined mode) and log4j.properties."""
    props = {
        "process.roles": "broker,controller",
        "node.id": 1,
        "listeners": f"PLAINTEXT://{c.host}:{c.kafka_port},CONTROLLER://{c.host}:{c.kafka_cport}",
        "advertised.listeners": f"PLAINTEXT://{c.host}:{c.kafka_port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.quorum.voters": f"1@{c.host}:{c.kafka_cport}",
        "log.dirs": c.kafka / "data",
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


def kafka_format(c: Cfg, jvm: list[str]) -> None:
    """Format the KRaft storage with a fresh cluster id unless it is formatted already."""
    if (c.kafka / "data" / "meta.properties").exists():
        return
    cluster_id = "-"
    while cluster_id.startswith("-"):
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    log(f"formatting KRaft storage (cluster id {cluster_id})")
    props_file = str(c.kafka / "server.properties")
    fmt = [*jvm, "-Xmx256m", "kafka.tools.StorageTool", "format", "-t", cluster_id]
    r = run([*fmt, "-c", props_file], check=False, capture_output=True)
    if r.returncode:
        die(f"kafka storage format failed:\n{r.stdout}{r.stderr}")


def kafka_start(c: Cfg) -> int:
    """Start the broker in the background (or reuse a live one); return its pid."""
    pidfile = c.kafka / "kafka.pid"
    pid = pid_alive(pidfile, "kafka.Kafka")
    if pid:
        log("kafka already running: reused")
        return pid
    c.kafka.mkdir(parents=True, exist_ok=True)
    kafka_configure(c)
    jvm = [
        "java",
        "-Djava.awt.headless=true",
        f"-Dlog4j.configuration=file:{c.kafka / 'log4j.properties'}",
        f"-Dkafka.logs.dir={c.kafka}",
        "-cp",
        str(KAFKA_LIB / "*"),
    ]
    kafka_format(c, jvm)
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
    """Wait up to KAFKA_TIMEOUT seconds for the broker; die with its logs otherwise."""
    wait_for("kafka", lambda: kafka_ready(c, pid), KAFKA_TIMEOUT, lambda: kafka_logs(c))


def kafka_down(c: Cfg) -> None:
    """Stop the profile's Kafka broker if it is running."""
    pid = pid_alive(c.kafka / "kafka.pid", "kafka.Kafka")
    if pid:
        stop_pid(pid, "kafka", 20)
