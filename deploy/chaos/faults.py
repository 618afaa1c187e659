"""The fault actions: inject, hold, lift, and the wall-clock moments of each step.

Every action signals only exact pids the suite started (its API, its consumers) or found in
the chaos profile's own pidfiles (Kafka, redis-server), or runs `pg_ctl` on the profile's own
data directory.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from redis.exceptions import RedisError

from deploy.chaos.backing import Backing, ChaosError
from deploy.chaos.services import Services


@dataclass
class Timeline:
    """Wall-clock times (time.time()) of the fault: `injected` (it began), `lifted` (the
    suite let the component back: restart issued), `restored` (the component answered again),
    and what was done, in order."""

    injected: float | None = None
    lifted: float | None = None
    restored: float | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    def inject(self, note: str) -> None:
        """The fault begins now."""
        self.injected = time.time()
        self.notes.append(note)

    def lift(self, note: str = "") -> None:
        """The component may come back from now on."""
        self.lifted = time.time()
        if note:
            self.notes.append(note)

    def restore(self, note: str) -> None:
        """The component is back."""
        self.restored = time.time()
        self.notes.append(note)

    def as_dict(self, origin_wall: float) -> dict:
        """The moments as seconds after the first booking of the load, and the notes."""
        def rel(t: float | None) -> float | None:
            return None if t is None else round(t - origin_wall, 3)
        return {"injected_s": rel(self.injected), "lifted_s": rel(self.lifted),
                "restored_s": rel(self.restored), "notes": self.notes, "error": self.error}


@dataclass
class Cluster:
    """What the faults act on."""

    backing: Backing
    services: Services

    async def ensure(self, consumers: int) -> None:
        """Before a scenario: every backing service up (restarted if a fault left one down),
        a healthy API and exactly `consumers` consumers."""
        b = self.backing
        if not (b.kafka_pid() and b.redis_pid() and b.pg_running()):
            await b.up()
        await self.services.ensure(consumers)


async def none(c: Cluster, hold: float, tl: Timeline) -> None:
    """No fault (the baseline): the moments are marked, nothing is touched."""
    tl.inject("no fault")
    tl.lift()
    tl.restore("nothing to restore")


async def consumer_kill(c: Cluster, hold: float, tl: Timeline) -> None:
    """SIGKILL the last consumer, start it again after `hold` seconds."""
    index = len(c.services.consumers) - 1
    tl.inject(f"SIGKILL consumer pid {c.services.kill_consumer(index)}")
    await asyncio.sleep(hold)
    tl.lift()
    tl.restore(f"consumer restarted as pid {c.services.restart_consumer(index)}")


async def api_worker_kill(c: Cluster, hold: float, tl: Timeline) -> None:
    """SIGKILL one API server worker; the master replaces it."""
    pid = c.services.kill_worker()
    tl.inject(f"SIGKILL API worker pid {pid}")
    tl.lift("left to the server master")
    seconds = await c.services.wait_workers(pid)
    tl.restore(f"worker replaced ({c.services.worker_pids()}) after {seconds:.1f}s")


async def api_kill(c: Cluster, hold: float, tl: Timeline) -> None:
    """SIGKILL the API master and its workers, start it again after `hold` seconds."""
    tl.inject(f"SIGKILL API pids {c.services.api.kill9()}")
    await asyncio.sleep(hold)
    tl.lift("API starting")
    seconds = await c.services.start_api()
    tl.restore(f"API pid {c.services.api.pid} healthy after {seconds:.1f}s")


async def kafka_kill(c: Cluster, hold: float, tl: Timeline) -> None:
    """SIGKILL the broker, start it again (infra.py up) after `hold` seconds."""
    tl.inject(f"SIGKILL Kafka pid {c.backing.kill('kafka')}")
    await asyncio.sleep(hold)
    tl.lift("Kafka starting")
    seconds, tries = await c.backing.restart()
    tl.restore(f"Kafka pid {c.backing.kafka_pid()} ready after {seconds:.1f}s ({tries} tries)")


async def kvrocks_flush(c: Cluster, hold: float, tl: Timeline) -> None:
    """FLUSHALL: every seat map, counter, allocation and tombstone is gone at once."""
    if not c.backing.redis_pid():
        raise ChaosError("the profile's own redis-server is not running: no FLUSHALL")
    await c.backing.redis("FLUSHALL")
    tl.inject("FLUSHALL")
    tl.lift()
    tl.restore("Kvrocks answered FLUSHALL")


async def kvrocks_old_snapshot(c: Cluster, hold: float, tl: Timeline) -> None:
    """SAVE a dump, go on for `hold` seconds, SIGKILL redis-server and start it again: it loads
    the older dump, so every change since the SAVE is lost."""
    if not c.backing.redis_pid():
        raise ChaosError("the profile's own redis-server is not running: no SAVE")
    await c.backing.redis("SAVE")
    tl.inject("SAVE: snapshot taken; changes from now on will be lost")
    await asyncio.sleep(hold)
    tl.notes.append(f"SIGKILL redis-server pid {c.backing.kill('redis')}")
    tl.lift("redis-server starting from the snapshot")
    seconds, tries = await c.backing.restart()
    tl.restore(f"redis-server pid {c.backing.redis_pid()} up after {seconds:.1f}s "
               f"({tries} tries)")


async def postgres_restart(c: Cluster, hold: float, tl: Timeline) -> None:
    """pg_ctl -m fast restart: every connection is dropped, the server is back at once."""
    tl.inject("pg_ctl -m fast restart")
    tl.lift()
    started = time.monotonic()
    await c.backing.pg_ctl("restart")
    tl.restore(f"PostgreSQL restarted in {time.monotonic() - started:.1f}s")


async def postgres_stop(c: Cluster, hold: float, tl: Timeline) -> None:
    """pg_ctl -m fast stop, then start after `hold` seconds."""
    await c.backing.pg_ctl("stop")
    tl.inject("pg_ctl -m fast stop")
    await asyncio.sleep(hold)
    tl.lift("pg_ctl start")
    await c.backing.pg_ctl("start")
    tl.restore("PostgreSQL started")


ACTIONS = {
    "none": none, "consumer-kill": consumer_kill, "api-worker-kill": api_worker_kill,
    "api-kill": api_kill, "kafka-kill": kafka_kill, "kvrocks-flush": kvrocks_flush,
    "kvrocks-old-snapshot": kvrocks_old_snapshot, "postgres-restart": postgres_restart,
    "postgres-stop": postgres_stop,
}


async def run_fault(c: Cluster, fault: str, delay: float, hold: float, tl: Timeline) -> None:
    """After `delay` seconds, the fault's action; a failed action is noted in the timeline
    (and becomes a violation), never raised."""
    await asyncio.sleep(delay)
    try:
        await ACTIONS[fault](c, hold, tl)
    except (ChaosError, OSError, RedisError) as e:
        tl.error = f"{type(e).__name__}: {e}"
        tl.lifted = tl.lifted or time.time()
