"""Abuse limits over ASGI with fakes (counters in process memory), the booking fast path on
and off (spec/security.md, "Abuse limits")."""

import httpx
import pydantic
import pytest

from src.service.ticketing.adapters.rate_limits import LeasedRateLimiter, LimitsRateLimiter
from src.service.ticketing.application.ports import Limit
from src.service.ticketing.bootstrap import limit_rules
from src.service.ticketing.domain.errors import TooManyRequests
from src.service.ticketing.entrypoints.http import create_app
from src.service.ticketing.settings import TicketingSettings
from test.unit.test_http_accept import BOOK, bearer
from test.unit.test_ticketing_use_cases import BUYER, OTHER, World

PASSWORD = "a-long-enough-password"
TOO_MANY = {"detail": "Too many requests"}


def client_of(world: World, fast_path: bool = True, address: str = "127.0.0.1"):
    transport = httpx.ASGITransport(app=create_app(world.service, fast_path=fast_path),
                                    client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def assert_too_many(response: httpx.Response, window_s: int = 60) -> None:
    assert (response.status_code, response.json()) == (429, TOO_MANY)
    assert 1 <= int(response.headers["retry-after"]) <= window_s


def user(n: int) -> dict:
    return {"email": f"u{n}@x.io", "password": PASSWORD, "name": f"U{n}", "role": "buyer"}


async def test_logins_to_one_account_are_limited_whatever_the_password():
    world = World()
    async with client_of(world) as client:
        await client.post("/api/user", json=user(1))
        for attempt in range(10):
            password = PASSWORD if attempt % 2 else "wrong-password"
            login = {"email": "u1@x.io", "password": password}
            assert (await client.post("/api/user/login", json=login)).status_code in (200, 401)
        world.hasher.checks.clear()
        login = {"email": "U1@x.io", "password": PASSWORD}
        assert_too_many(await client.post("/api/user/login", json=login))
        assert world.hasher.checks == []  # refused before any password check
        await client.post("/api/user", json=user(2))
        other = {"email": "u2@x.io", "password": PASSWORD}
        assert (await client.post("/api/user/login", json=other)).status_code == 200


async def test_logins_and_sign_ups_from_one_address_are_limited():
    world = World(limit_login_address="3/minute", limit_register_address="2/hour")
    async with client_of(world) as client, client_of(world, address="10.0.0.2") as elsewhere:
        for n in (1, 2):
            assert (await client.post("/api/user", json=user(n))).status_code == 201
        assert_too_many(await client.post("/api/user", json=user(3)), window_s=3600)
        assert [u.email for u in world.store.users.values()][-2:] == ["u1@x.io", "u2@x.io"]
        assert (await elsewhere.post("/api/user", json=user(3))).status_code == 201
        for n in (1, 2, 3):
            login = {"email": f"u{n}@x.io", "password": PASSWORD}
            assert (await client.post("/api/user/login", json=login)).status_code == 200
        assert_too_many(await client.post("/api/user/login", json=login))
        assert (await elsewhere.post("/api/user/login", json=login)).status_code == 200


async def test_password_guesses_through_a_password_change_count_as_logins():
    world = World()
    async with client_of(world) as client:
        await client.post("/api/user", json=user(1))
        token = (await client.post("/api/user/login", json={
            "email": "u1@x.io", "password": PASSWORD})).json()["access_token"]
        change = {"current_password": "guess", "new_password": "another-long-password"}
        headers = {"Authorization": f"Bearer {token}"}
        statuses = [(await client.post("/api/user/password", json=change, headers=headers)
                     ).status_code for _ in range(10)]
        assert statuses == [403] * 9 + [429]


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast_path", "route"])
async def test_bookings_per_buyer_are_limited_when_the_limit_is_on(fast_path):
    world = World(limit_booking_buyer="3/minute")
    event_id = await world.event()
    async with client_of(world, fast_path) as client:
        book = BOOK | {"event_id": event_id, "quantity": 1}
        for _ in range(3):
            assert (await client.post("/api/booking", json=book, headers=bearer(BUYER))
                    ).status_code == 202
        assert_too_many(await client.post("/api/booking", json=book, headers=bearer(BUYER)))
        assert len(world.store.bookings) == 3
        assert (await client.post("/api/booking", json=book, headers=bearer(OTHER))
                ).status_code == 202


async def test_the_defaults_let_a_load_test_of_200_buyers_through():
    # bench.sh signs up and logs in 201 accounts from 127.0.0.1 twice (warm-up, measured run)
    # within a minute or two, each account logging in once per run.
    world = World()
    assert world.service.create_booking.limiter is None  # the per-buyer limit is off
    limiter = LimitsRateLimiter.in_memory(limit_rules(TicketingSettings()))
    for _ in range(2 * 201):
        await limiter.acquire(Limit.REGISTER_ADDRESS, "127.0.0.1")
        await limiter.acquire(Limit.LOGIN_ADDRESS, "127.0.0.1")
    for _ in range(2):
        await limiter.acquire(Limit.LOGIN_ACCOUNT, "lt-run-b0@load.test")


def test_a_limit_must_be_in_limits_notation():
    with pytest.raises(pydantic.ValidationError, match="limit_login_account"):
        TicketingSettings(limit_login_account="ten a minute")


class CountingLimiter(LimitsRateLimiter):
    """The in-memory limiter, counting the `take`s that would be Kvrocks round trips."""

    def __init__(self, rules) -> None:
        shared = LimitsRateLimiter.in_memory(rules)
        self.__dict__.update(shared.__dict__)
        self.takes = 0

    async def take(self, limit, key, cost=1):
        self.takes += 1
        return await super().take(limit, key, cost)


async def test_leased_booking_allowances_need_a_round_trip_per_twentieth_of_the_limit():
    shared = CountingLimiter({Limit.BOOKING_BUYER: "200/minute"})
    first, second = LeasedRateLimiter(shared, Limit.BOOKING_BUYER), LeasedRateLimiter(
        shared, Limit.BOOKING_BUYER)
    granted = 0
    for i in range(300):
        try:
            await (first if i % 2 else second).acquire(Limit.BOOKING_BUYER, "7")
            granted += 1
        except TooManyRequests:
            pass
    assert 180 <= granted <= 200  # two processes may each lose part of one lease
    assert shared.takes <= 200 // 10 + 4
