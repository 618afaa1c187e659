"""Child processes of the chaos suite: started here, found by pid, signalled by exact pid.

Nothing is ever looked up by name or pattern: other engineers run the same programs on other
ports. Every child is started in a session of its own (a Ctrl-C on the terminal reaches only
the suite, which then stops its children in order) and with a parent-death signal, so a child
gets SIGTERM even if the suite itself is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def cmdline(pid: int) -> list[str]:
    """The argv of `pid` ([] if it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def children(pid: int) -> list[int]:
    """Pids whose parent is `pid`, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int(entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    """Every pid below `pid` in the process tree, parents before their children."""
    out: list[int] = []
    todo = children(pid)
    while todo:
        child = todo.pop(0)
        out.append(child)
        todo += children(child)
    return out


def kill9(pid: int) -> bool:
    """SIGKILL one exact pid; False if it was gone already."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


class Child:
    """One long-running program of the suite (an API master or a consumer), its output in
    `log`. `start` may be called again after the process died (a restart)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path, cwd: Path):
        self.name, self.argv, self.env, self.log, self.cwd = name, argv, env, log, cwd
        self.popen: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        """Pid of the current process (0 before the first start)."""
        return self.popen.pid if self.popen else 0

    def start(self) -> int:
        """Start the program (appending to its log); returns the new pid."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent,
            )
        return self.popen.pid

    def running(self) -> bool:
        """True while the current process runs."""
        return self.popen is not None and self.popen.poll() is None

    def kill9(self) -> list[int]:
        """SIGKILL the process and everything below it (exact pids, the parent first so it
        cannot replace a child); returns the pids signalled."""
        if not self.running():
            return []
        below = descendants(self.pid)
        pids = [self.pid, *below]
        for pid in pids:
            kill9(pid)
        self.popen.wait(10)
        return pids

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM, then SIGKILL (with whatever it left behind) if it outlives `grace`."""
        if not self.running():
            return
        below = [(pid, cmdline(pid)) for pid in descendants(self.pid)]
        self.popen.terminate()
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill9()
        for pid, argv in below:  # workers normally exit with their master
            deadline = time.monotonic() + 5
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if alive(pid) and cmdline(pid) == argv:  # the same process, not a reused pid
                kill9(pid)
