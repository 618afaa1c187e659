"""HTTP client of the ticketing API (aiohttp): users, events, bookings."""

from __future__ import annotations

import asyncio
import ipaddress
import random
import time
from urllib.parse import urlsplit

import aiohttp

from deploy.loadtest.retry import (
    NO_RETRIES,
    Attempt,
    RetryPolicy,
    answer,
    failed,
    key_header,
    new_key,
    with_retries,
)
from deploy.loadtest.wire import JsonPoster

TRANSPORT_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError, EOFError)


def booking_body(event_id: int, section: str, subsection: int, quantity: int) -> bytes:
    """The JSON body of a best-available `POST /api/booking` (spec/booking.md), as every mode
    sends it (the `stampede` and `ramp` plans too)."""
    return (
        b'{"event_id":%d,"section":"%s","subsection":%d,"quantity":%d,'
        b'"seat_selection_mode":"best_available","seat_positions":[]}'
        % (event_id, section.encode(), subsection, quantity)
    )


class NotLoopback(ValueError):
    """The target is not on this machine; load is only ever sent to loopback addresses."""


def check_loopback(url: str) -> str:
    """Return `url` if its host is localhost or in 127.0.0.0/8 or ::1; raise otherwise."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return url
    try:
        if ipaddress.ip_address(host).is_loopback:
            return url
    except ValueError:
        pass
    raise NotLoopback(f"refusing to send load to {host!r}: only loopback addresses")


class ApiError(RuntimeError):
    """An API call of the set-up phase did not succeed."""


class Api:
    """One pooled session; tokens go in `Authorization: Bearer`, cookies are ignored. Bookings
    go through the lean `JsonPoster`, each with an `Idempotency-Key` of its own, retried with
    that key as `retry` allows (`retry.py`); `retried` counts the extra attempts."""

    def __init__(
        self, base_url: str, connections: int, timeout_s: float, retry: RetryPolicy = NO_RETRIES,
        keys: bool = True,
    ):
        self.retry, self.keys = retry, keys
        self.retried = 0
        self._rng = random.Random()
        self._poster = JsonPoster(check_loopback(base_url), timeout_s)
        self._session = aiohttp.ClientSession(
            base_url=check_loopback(base_url).rstrip("/") + "/",
            connector=aiohttp.TCPConnector(limit=connections, limit_per_host=connections),
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        await self._poster.close()
        await self._session.close()

    async def _call(self, method: str, path: str, token: str | None, body=None) -> tuple:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        async with self._session.request(method, path, json=body, headers=headers) as resp:
            try:
                data = await resp.json(content_type=None)
            except ValueError:
                data = None
            return resp.status, data

    async def _expect(self, status: int, method: str, path: str, token=None, body=None) -> dict:
        got, data = await self._call(method, path, token, body)
        if got != status:
            raise ApiError(f"{method} /{path} → {got} {data}")
        return data

    async def health(self) -> bool:
        """True if GET /health answers 200."""
        try:
            return (await self._call("GET", "health", None))[0] == 200
        except TRANSPORT_ERRORS:
            return False

    async def account(self, email: str, password: str, role: str) -> str:
        """Register (unless it exists) and log in once; returns the bearer token."""
        user = {"email": email, "password": password, "name": email.split("@")[0], "role": role}
        status, data = await self._call("POST", "api/user", None, user)
        if status not in (201, 400):
            raise ApiError(f"POST /api/user → {status} {data}")
        login = {"email": email, "password": password}
        return (await self._expect(200, "POST", "api/user/login", body=login))["access_token"]

    async def create_event(
        self, token: str, name: str, config: dict, rules: dict | None = None
    ) -> dict:
        """POST /api/event as a seller, with the on-sale `rules` fields (sale window, limits)
        when given; returns the event."""
        body = {"name": name, "venue_name": "load test", "seating_config": config}
        return await self._expect(201, "POST", "api/event", token, body | (rules or {}))

    async def event(self, event_id: int) -> dict:
        """GET /api/event/{id}."""
        return await self._expect(200, "GET", f"api/event/{event_id}")

    async def book(
        self, token: str, event_id: int, section: str, subsection: int, quantity: int
    ) -> tuple[int, dict | None]:
        """POST /api/booking, best available, with a fresh idempotency key and the retries of
        `self.retry`; returns (status, body) of the last attempt (status 0: no answer)."""
        key = new_key() if self.keys else None

        def once():
            return self.book_once(token, event_id, section, subsection, quantity, key)

        attempts = await with_retries(once, self.retry, self._rng)
        self.retried += len(attempts) - 1
        last = attempts[-1]
        return last.status, last.body if isinstance(last.body, dict) else None

    async def book_once(
        self, token: str, event_id: int, section: str, subsection: int, quantity: int,
        key: str | None,
    ) -> Attempt:
        """One attempt of POST /api/booking carrying `Idempotency-Key: key` (none when `key` is
        None); a transport error is returned as an attempt with status 0, never raised."""
        body = booking_body(event_id, section, subsection, quantity)
        sent = time.perf_counter()
        try:
            status, head, payload = await self._poster.exchange(
                "/api/booking", token, body, key_header(key) if key else b"")
        except TRANSPORT_ERRORS as e:
            return failed(e, sent)
        return answer(status, head, payload, sent)
