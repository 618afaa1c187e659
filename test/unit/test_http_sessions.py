"""Sessions over ASGI with fakes: the cookie, token revocation, roles from the database
(spec/security.md, "Sessions")."""

import httpx
import pytest

from src.service.ticketing.domain.user import Role
from src.service.ticketing.entrypoints.http import create_app
from test.unit.test_ticketing_use_cases import World

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
