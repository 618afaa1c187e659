"""Password hashing (argon2-cffi) and session tokens (PyJWT, HS256)."""

import asyncio
import secrets
import time
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError

from src.service.ticketing.domain.errors import NotAuthenticated
from src.service.ticketing.domain.user import User

MAX_TOKEN_LENGTH = 4096  # ours are ~150 characters; longer ones are not worth verifying


class Argon2PasswordHasher:
    """Argon2id; hashing runs in a worker thread so the event loop keeps serving.
    `verify_absent` checks against a hash of a random secret made at start-up, so a login for
    an unknown e-mail costs what a wrong password costs (spec/security.md, "Logins")."""

    def __init__(self, time_cost: int = 2, memory_cost_kib: int = 19_456) -> None:
        self._argon2 = Argon2(time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=1)
        self._absent = self._argon2.hash(secrets.token_urlsafe(32))

    async def hash(self, password: str) -> str:
        """A salted argon2id hash."""
        return await asyncio.to_thread(self._argon2.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        """True when `password` matches; False for a wrong one or a broken hash."""
        try:
            return await asyncio.to_thread(self._argon2.verify, password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def verify_absent(self, password: str) -> bool:
        """False, after a real check against the start-up hash."""
        await self.verify(self._absent, password)
        return False


class JwtTokenCodec:
    """Signed tokens (HS256) carrying the user id (`sub`) and the user's token version (`ver`),
    valid for `ttl_s` seconds; no role: that is read from the database (spec/security.md,
    "Sessions").

    Verified tokens are remembered (up to `cache_size`, until they expire): a buyer in a flash
    sale sends the same token many times, and the signature check is the costly part."""

    def __init__(self, secret: str, ttl_s: int, cache_size: int = 100_000) -> None:
        self._secret = secret
        self._ttl = timedelta(seconds=ttl_s)
        self._verified: dict[str, tuple[int, int, float]] = {}
        self._cache_size = cache_size

    def issue(self, user: User) -> str:
        """A token for `user` at its current token version."""
        now = datetime.now(UTC)
        claims = {"sub": str(user.id), "ver": user.token_version, "iat": now,
                  "exp": now + self._ttl}
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def read(self, token: str) -> tuple[int, int]:
        """(user id, token version); raises `NotAuthenticated`."""
        known = self._verified.get(token)
        if known is not None and known[2] > time.time():
            return known[0], known[1]
        if len(token) > MAX_TOKEN_LENGTH:
            raise NotAuthenticated("Invalid or expired token")
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"],
                                options={"require": ["sub", "ver", "iat", "exp"]})
            user_id, version = int(claims["sub"]), claims["ver"]
        except (jwt.PyJWTError, ValueError) as e:
            raise NotAuthenticated("Invalid or expired token") from e
        if not isinstance(version, int) or isinstance(version, bool):
            raise NotAuthenticated("Invalid or expired token")
        if len(self._verified) >= self._cache_size:
            self._verified.clear()
        self._verified[token] = (user_id, version, float(claims["exp"]))
        return user_id, version
