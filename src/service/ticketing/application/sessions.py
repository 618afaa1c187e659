"""Account states, cached: every authenticated request needs its caller's role, active flag
and token version, and the booking hot path must not pay a database round trip for them
(spec/security.md, "Sessions")."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from src.service.ticketing.application.ports import AccountLookup, Clock, UnitOfWorkFactory
from src.service.ticketing.domain.user import AccountState


@dataclass(frozen=True)
class AccountsFromUsers:
    """`AccountLookup` over the user repository: one unit of work per lookup. The running
    service uses a PostgreSQL adapter that batches concurrent lookups instead."""

    uow: UnitOfWorkFactory

    async def state(self, user_id: int) -> AccountState | None:
        """The user's state, or None."""
        async with self.uow() as uow:
            user = await uow.users.by_id(user_id)
        if user is None:
            return None
        return AccountState(user.id, user.role, user.is_active, user.token_version)


@dataclass
class AccountStates:
    """`await states(user_id)`: the account's state as PostgreSQL had it at most `ttl_s`
    seconds ago (unknown users too, as None), for up to `max_size` users per process, the
    oldest entry dropped first. A change made elsewhere (a logout in another process, an
    account disabled in the database) is seen here within `ttl_s`; `forget` makes one made
    here seen at once."""

    lookup: AccountLookup
    clock: Clock
    ttl_s: float = 5.0
    max_size: int = 100_000
    _cache: dict[int, tuple[datetime, AccountState | None]] = field(default_factory=dict)

    async def __call__(self, user_id: int) -> AccountState | None:
        """The state of `user_id`, from the cache while it is fresh."""
        now = self.clock.now()
        cached = self._cache.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        state = await self.lookup.state(user_id)
        self._cache.pop(user_id, None)
        if len(self._cache) >= self.max_size:
            del self._cache[next(iter(self._cache))]
        self._cache[user_id] = (now + timedelta(seconds=self.ttl_s), state)
        return state

    def forget(self, user_id: int) -> None:
        """Drop the cached state of `user_id`: the next request reads it again."""
        self._cache.pop(user_id, None)
