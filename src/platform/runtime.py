"""Process-level tuning shared by the services' entrypoints."""

import gc
import resource
from pathlib import Path

SOMAXCONN = Path("/proc/sys/net/core/somaxconn")


def freeze_startup_heap(threshold0: int = 0) -> None:
    """Move every object alive now (imported modules, the app, its clients) into the garbage
    collector's permanent generation, once start-up is done; with `threshold0` > 0, collect
    the youngest generation every `threshold0` allocations instead of Python's 700.

    A full collection traverses every tracked object, and after start-up that is mostly code
    and wiring that lives as long as the process. Under the sustained benchmark each full
    collection stopped a service's event loop for 20–160 ms, which showed up in the accept and
    settle p99 (spec/performance.md). Frozen objects are neither traversed nor freed, so full
    collections then walk only what the process created since.

    At 700 the youngest generation is collected every few requests, each time tracing the
    objects of every request in flight and promoting the survivors; with a larger
    `threshold0` most of them have died by reference count before a collection sees them.
    At 2,000 bookings/s an API process at 50,000 took about 12 % less CPU (spec/performance.md,
    "Session of 2026-12-03 (morning)").
    """
    gc.collect()
    gc.freeze()
    if threshold0 > 0:
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(threshold0, older, oldest)


def raise_open_file_limit(wanted: int) -> int:
    """Raise this process's soft limit of open files (`RLIMIT_NOFILE`) towards `wanted`, as far
    as the hard limit allows (no privilege needed), never lowering it; returns the soft limit
    now in force. Each TCP connection (a client's, an SSE stream's) takes one descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def listen_backlog_cap(path: Path = SOMAXCONN) -> int | None:
    """The kernel's cap on any listen backlog (`net.core.somaxconn`, read from `path`): a
    `listen(backlog)` above it gets this many pending connections; None where it cannot be
    read (not Linux). Only read, never changed: changing it needs root (spec/performance.md,
    "Servers and the listen backlog")."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None
