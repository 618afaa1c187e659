"""How many SSE streams one API process keeps open: per user, per client address, in all
(spec/security.md, "Stream caps").

The streams of a process share one pub/sub connection, so what an open stream holds is a
socket, a queue and a task: the total is capped as a bound on memory and file descriptors,
and one user or one address cannot take the lot. Counted in process memory: no I/O, a few
dict operations per stream opened or closed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from src.service.ticketing.domain.errors import Overloaded, TooManyRequests

RETRY_AFTER_S = 5  # streams free up as clients leave; a reconnect soon after is fine
PER_USER = "Too many open streams for this user"
PER_ADDRESS = "Too many open streams from this address"
IN_ALL = "Too many open streams on this server"
K = TypeVar("K", int, str)


@dataclass
class StreamSlots:
    """`open(user_id, address)` takes a slot or raises: `TooManyRequests` (429) over
    `per_user` streams of one user or `per_address` of one client address, `Overloaded`
    (503) over `total` in the process. It returns the function that frees the slot (calling
    it again does nothing). An anonymous stream passes `user_id=None`; an unknown address
    ("") is counted as one address."""

    per_user: int
    per_address: int
    total: int
    _users: dict[int, int] = field(default_factory=dict)
    _addresses: dict[str, int] = field(default_factory=dict)
    _open: int = 0

    @property
    def open_streams(self) -> int:
        """Streams open right now."""
        return self._open

    def open(self, user_id: int | None, address: str) -> Callable[[], None]:
        """Take a slot for one stream; raises `Overloaded`, `TooManyRequests`."""
        if self._open >= self.total:
            raise Overloaded(IN_ALL, RETRY_AFTER_S)
        if user_id is not None and self._users.get(user_id, 0) >= self.per_user:
            raise TooManyRequests(RETRY_AFTER_S, PER_USER)
        if self._addresses.get(address, 0) >= self.per_address:
            raise TooManyRequests(RETRY_AFTER_S, PER_ADDRESS)
        self._open += 1
        _up(self._addresses, address)
        if user_id is not None:
            _up(self._users, user_id)
        freed = False

        def release() -> None:
            nonlocal freed
            if freed:
                return
            freed = True
            self._open -= 1
            _down(self._addresses, address)
            if user_id is not None:
                _down(self._users, user_id)

        return release


def _up(counts: dict[K, int], key: K) -> None:
    counts[key] = counts.get(key, 0) + 1


def _down(counts: dict[K, int], key: K) -> None:
    left = counts[key] - 1
    if left:
        counts[key] = left
    else:
        del counts[key]
