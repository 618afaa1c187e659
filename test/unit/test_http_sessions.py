"""Sessions over ASGI with fakes: the cookie, token revocation, roles from the database
(spec/security.md, "Sessions")."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from src.service.ticketing.application.sessions import AccountsFromUsers, AccountStates
from src.service.ticketing.domain.user import Role
from src.service.ticketing.entrypoints.http import create_app
from src.service.ticketing.settings import DEV_JWT_SECRET
from test.unit.test_http_accept import BOOK
from test.unit.test_ticketing_use_cases import BUYER, LAYOUT, World

PASSWORD = "a-long-enough-password"


@pytest.fixture
async def world_and_client():
    world = World()
    transport = httpx.ASGITransport(app=create_app(world.service))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield world, client


async def log_in(client, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/user/login", json={"email": email, "password": password})


async def test_the_session_cookie_is_secure_http_only_and_same_site_lax(world_and_client):
    world, client = world_and_client
    await world.service.register_user("ann@x.io", PASSWORD, "Ann", Role.BUYER)
    response = await log_in(client, "ann@x.io")
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert {"secure", "httponly", "samesite=lax"} <= {p.strip() for p in cookie.split(";")}


def signed(claims: dict) -> dict:
    """An Authorization header with a token signed by the service's own key."""
    now = datetime.now(UTC)
    token = jwt.encode({"iat": now, "exp": now + timedelta(hours=1)} | claims,
                       DEV_JWT_SECRET, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


def bearer_of(response: httpx.Response) -> dict:
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_logout_revokes_every_token_of_the_account(world_and_client):
    world, client = world_and_client
    await world.service.register_user("ann@x.io", PASSWORD, "Ann", Role.BUYER)
    phone, laptop = bearer_of(await log_in(client, "ann@x.io")), bearer_of(
        await log_in(client, "ann@x.io"))
    assert (await client.get("/api/user", headers=laptop)).status_code == 200
    assert (await client.post("/api/user/logout", headers=phone)).status_code == 204
    for headers in (phone, laptop):
        response = await client.get("/api/user", headers=headers)
        assert (response.status_code, response.json()) == (
            401, {"detail": "Invalid or expired token"})
    assert (await client.get("/api/user", headers=bearer_of(await log_in(client, "ann@x.io")))
            ).status_code == 200


async def test_the_role_comes_from_the_database_not_from_the_token(world_and_client):
    _, client = world_and_client
    forged = signed({"sub": str(BUYER.user_id), "ver": 0, "role": "seller"})
    body = {"name": "Mine", "seating_config": LAYOUT}
    response = await client.post("/api/event", json=body, headers=forged)
    assert (response.status_code, response.json()) == (
        403, {"detail": "Only sellers can create events"})


async def test_tokens_of_deleted_or_disabled_accounts_are_refused(world_and_client):
    world, client = world_and_client
    await world.service.register_user("ann@x.io", PASSWORD, "Ann", Role.BUYER)
    ann = bearer_of(await log_in(client, "ann@x.io"))
    ann_id = next(u.id for u in world.store.users.values() if u.email == "ann@x.io")
    world.store.users[ann_id] = replace(world.store.users[ann_id], is_active=False)
    world.service.authenticate.accounts.forget(ann_id)
    assert (await client.get("/api/booking/my_booking", headers=ann)).status_code == 401
    response = await log_in(client, "ann@x.io")
    assert (response.status_code, response.json()) == (403, {"detail": "Account is disabled"})
    buyer = signed({"sub": str(BUYER.user_id), "ver": 0})
    del world.store.users[BUYER.user_id]
    assert (await client.get("/api/booking/my_booking", headers=buyer)).status_code == 401


async def test_a_token_without_a_version_is_refused(world_and_client):
    _, client = world_and_client
    old_style = signed({"sub": str(BUYER.user_id), "role": "buyer"})
    assert (await client.get("/api/user", headers=old_style)).status_code == 401


async def test_another_process_refuses_a_revoked_token_within_the_cache_ttl(world_and_client):
    world, client = world_and_client
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(world.process())),
                              base_url="http://test")
    token = signed({"sub": str(BUYER.user_id), "ver": 0})
    async with other:
        assert (await other.get("/api/user", headers=token)).status_code == 200
        assert (await client.post("/api/user/logout", headers=token)).status_code == 204
        assert (await client.get("/api/user", headers=token)).status_code == 401
        # The other process still has the account's state cached, for at most the TTL.
        assert (await other.get("/api/user", headers=token)).status_code == 200
        world.clock.advance(world.settings.session_cache_ttl_s)
        assert (await other.get("/api/user", headers=token)).status_code == 401


class CountingLookup:
    """Counts the account lookups that reach the 'database'."""

    def __init__(self, world: World) -> None:
        self.inner, self.calls = AccountsFromUsers(world.uow), 0

    async def state(self, user_id):
        self.calls += 1
        return await self.inner.state(user_id)


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast_path", "route"])
async def test_the_booking_path_reads_the_account_once_per_ttl(fast_path):
    world = World()
    lookup = CountingLookup(world)
    app = create_app(world.process(accounts=lookup), fast_path=fast_path)
    event_id = await world.event()
    body = BOOK | {"event_id": event_id, "quantity": 1}
    token = signed({"sub": str(BUYER.user_id), "ver": 0})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        for _ in range(5):
            assert (await client.post("/api/booking", json=body, headers=token)
                    ).status_code == 202
        assert lookup.calls == 1
        world.clock.advance(world.settings.session_cache_ttl_s)
        assert (await client.post("/api/booking", json=body, headers=token)).status_code == 202
        assert lookup.calls == 2


async def test_the_account_cache_is_bounded_and_drops_the_oldest_entry():
    world = World()
    lookup = CountingLookup(world)
    states = AccountStates(lookup, world.clock, ttl_s=60, max_size=2)
    for user_id in (1, 2, 3, 2, 1):
        await states(user_id)
    assert lookup.calls == 4  # 1 was dropped for 3; 2 stayed cached
    assert len(states._cache) == 2
