"""Accounts over ASGI with fakes: sign-up input rules, constant-time login, password change
(spec/security.md, "Passwords" and "Logins")."""

import httpx
import pydantic
import pytest

from src.service.ticketing.entrypoints.http import create_app
from src.service.ticketing.settings import TicketingSettings
from test.unit.test_http_accept import bearer
from test.unit.test_ticketing_use_cases import SELLER, World

PASSWORD = "a-long-enough-password"
NEW_PASSWORD = "another-long-password"
TOO_COMMON = "Password is too common or too easy to guess; choose another"


@pytest.fixture
async def world_and_client():
    world = World()
    transport = httpx.ASGITransport(app=create_app(world.service))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield world, client


def account(**fields) -> dict:
    return {"email": "ann@x.io", "password": PASSWORD, "name": "Ann", "role": "buyer"} | fields


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"email": "not an email"}, "Invalid email address"),
        ({"email": "ann@localhost"}, "Invalid email address"),
        ({"email": "ann@[127.0.0.1]"}, "Invalid email address"),
        ({"password": "short"}, "Password must be at least 8 characters"),
        ({"password": "p" * 129}, "Password must be at most 128 characters"),
        ({"password": " " * 12}, "Password must not be only whitespace"),
        ({"password": "Password123"}, TOO_COMMON),
        ({"password": "ann@x.io"}, TOO_COMMON),
    ],
)
async def test_sign_up_refuses_bad_e_mails_and_guessable_passwords(world_and_client, fields,
                                                                   detail):
    world, client = world_and_client
    before = dict(world.store.users)
    response = await client.post("/api/user", json=account(**fields))
    assert (response.status_code, response.json()) == (400, {"detail": detail})
    assert world.store.users == before


async def test_sign_up_normalises_the_e_mail(world_and_client):
    world, client = world_and_client
    response = await client.post("/api/user", json=account(email="Ann.Lee@Example.IO"))
    assert (response.status_code, response.json()["email"]) == (201, "ann.lee@example.io")


async def test_an_unknown_e_mail_costs_a_password_check_too(world_and_client):
    world, client = world_and_client
    await client.post("/api/user", json=account())
    world.hasher.checks.clear()
    wrong = await client.post("/api/user/login", json={"email": "ann@x.io", "password": "nope"})
    unknown = await client.post("/api/user/login",
                                json={"email": "bob@x.io", "password": "nope"})
    assert wrong.json() == unknown.json() == {"detail": "Invalid email or password"}
    assert (wrong.status_code, unknown.status_code) == (401, 401)
    assert world.hasher.checks == [("plain:" + PASSWORD, "nope"), (None, "nope")]


async def logged_in(client) -> dict:
    await client.post("/api/user", json=account())
    login = await client.post("/api/user/login", json={"email": "ann@x.io", "password": PASSWORD})
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def test_a_password_change_revokes_the_old_tokens_and_issues_a_new_one(world_and_client):
    _, client = world_and_client
    old = await logged_in(client)
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    response = await client.post("/api/user/password", json=change, headers=old)
    assert response.status_code == 200 and "secure" in response.headers["set-cookie"].lower()
    new = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert (await client.get("/api/user", headers=old)).status_code == 401
    assert (await client.get("/api/user", headers=new)).status_code == 200
    for password, status in ((PASSWORD, 401), (NEW_PASSWORD, 200)):
        login = {"email": "ann@x.io", "password": password}
        assert (await client.post("/api/user/login", json=login)).status_code == status


@pytest.mark.parametrize(
    ("change", "status", "detail"),
    [
        ({"current_password": "wrong-password", "new_password": NEW_PASSWORD}, 403,
         "Current password is incorrect"),
        ({"current_password": PASSWORD, "new_password": "letmein123"}, 400,
         TOO_COMMON),
        ({"current_password": PASSWORD, "new_password": "short"}, 400,
         "Password must be at least 8 characters"),
    ],
)
async def test_a_refused_password_change_changes_nothing(world_and_client, change, status,
                                                         detail):
    world, client = world_and_client
    headers = await logged_in(client)
    before = dict(world.store.users)
    response = await client.post("/api/user/password", json=change, headers=headers)
    assert (response.status_code, response.json()) == (status, {"detail": detail})
    assert world.store.users == before
    assert (await client.get("/api/user", headers=headers)).status_code == 200


async def test_a_password_change_needs_a_session(world_and_client):
    _, client = world_and_client
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    response = await client.post("/api/user/password", json=change)
    assert (response.status_code, response.json()) == (401, {"detail": "Not authenticated"})


@pytest.mark.parametrize(("settings", "status"), [
    ({}, 403), ({"seller_signup": "closed", "env": "development"}, 403),
    ({"seller_signup": "open"}, 201), ({"env": "development"}, 201),
])
async def test_seller_sign_up_is_open_only_where_configured(settings, status):
    world = World(**settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(world.service)),
                                 base_url="http://test") as client:
        before = dict(world.store.users)
        response = await client.post("/api/user", json=account(role="seller"))
        assert response.status_code == status
        if status == 403:
            assert response.json() == {"detail": "Seller sign-up is closed"}
            assert world.store.users == before
        assert (await client.post("/api/user", json=account(email="bob@x.io"))
                ).status_code == 201


async def test_the_event_size_is_bounded_by_the_setting():
    world = World(max_seats_per_event=50)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(world.service)),
                                 base_url="http://test") as client:
        def event(rows: int) -> dict:
            return {"name": "Show", "seating_config": {
                "rows": rows, "cols": 5, "sections": [{"name": "A", "price": 1, "subsections": 2}]}}
        response = await client.post("/api/event", json=event(6), headers=bearer(SELLER))
        assert (response.status_code, response.json()) == (
            400, {"detail": "An event may have at most 50 seats"})
        assert world.store.events == {}
        assert (await client.post("/api/event", json=event(5), headers=bearer(SELLER))
                ).status_code == 201
    with pytest.raises(pydantic.ValidationError):
        TicketingSettings(max_seats_per_event=200_001)
