"""Who may do what: every principal against every route, over ASGI with fakes, the booking
fast path on and off (spec/security.md, "Threats and answers"; spec/architecture.md, "HTTP
conventions"). A refused request changes nothing."""

from dataclasses import replace

import httpx
import pytest

from src.service.lifecycle import BookingStatus
from src.service.ticketing.domain.user import Role, User
from src.service.ticketing.entrypoints.http import create_app
from test.unit.test_http_accept import BOOK
from test.unit.test_ticketing_use_cases import BUYER, LAYOUT, OTHER, SELLER, World

PRINCIPALS = ("owner", "other_buyer", "event_seller", "other_seller", "anonymous", "revoked",
              "deleted")
OTHER_SELLER, DELETED = 4, 5

# route: (method, path, body, statuses in the order of PRINCIPALS)
MATRIX = {
    "sign up": ("POST", "/api/user", {"email": "new@x.io", "password": "bright-orange-kite",
                                      "name": "New", "role": "buyer"}, [201] * 7),
    "log in": ("POST", "/api/user/login", {"email": "user2@x.io", "password": "pw-of-user-2"},
               [200] * 7),
    "who am I": ("GET", "/api/user", None, [200, 200, 200, 200, 401, 401, 401]),
    "change password": ("POST", "/api/user/password", "own", [200, 200, 200, 200, 401, 401, 401]),
    "log out": ("POST", "/api/user/logout", None, [204, 204, 204, 204, 401, 401, 401]),
    "create event": ("POST", "/api/event", {"name": "Mine", "seating_config": LAYOUT},
                     [403, 403, 201, 201, 401, 401, 401]),
    "list events": ("GET", "/api/event", None, [200] * 7),
    "one event": ("GET", "/api/event/{event}", None, [200] * 7),
    "seats": ("GET", "/api/event/{event}/sections/A/subsection/1/seats", None, [200] * 7),
    "event stream": ("GET", "/api/event/{event}/sse", None, [200] * 7),
    "book": ("POST", "/api/booking", BOOK | {"quantity": 1},
             [202, 202, 403, 403, 401, 401, 401]),
    "my bookings": ("GET", "/api/booking/my_booking", None, [200, 200, 200, 200, 401, 401, 401]),
    "one booking": ("GET", "/api/booking/{booking}", None, [200, 404, 200, 404, 401, 401, 401]),
    "cancel": ("PATCH", "/api/booking/{booking}", None, [200, 403, 403, 403, 401, 401, 401]),
    "pay": ("POST", "/api/booking/{booking}/pay", None, [200, 403, 403, 403, 401, 401, 401]),
    "booking stream": ("GET", "/api/booking/event/{event}/sse", None,
                       [200, 200, 200, 200, 401, 401, 401]),
    "one booking's stream": ("GET", "/api/booking/event/{event}/sse?booking_id={booking}", None,
                             [200, 404, 200, 404, 401, 401, 401]),
}
CELLS = [(route, who, MATRIX[route][3][i]) for route in MATRIX
         for i, who in enumerate(PRINCIPALS)]


async def scene(world: World) -> dict:
    """An event of SELLER with a pending_payment booking of BUYER (the owner), and the
    extra accounts; returns the path parameters."""
    for user_id, role in ((OTHER_SELLER, Role.SELLER), (DELETED, Role.BUYER)):
        world.store.users[user_id] = User(user_id, f"user{user_id}@x.io", "x", role)
    for user_id, user in world.store.users.items():
        world.store.users[user_id] = replace(user, password_hash=f"plain:pw-of-user-{user_id}")
    event_id = await world.event()
    booking = await world.book(event_id)
    world.settle(booking.id, BookingStatus.PENDING_PAYMENT)
    return {"event": event_id, "booking": booking.id}


def token(world: World, user_id: int) -> dict:
    return {"Authorization": f"Bearer {world.service.tokens.issue(world.store.users[user_id])}"}


def credentials(world: World, who: str) -> tuple[dict, int | None]:
    """(headers, user id) of the principal; revoked and deleted ones lose their account's
    trust after the token was issued."""
    ids = {"owner": BUYER.user_id, "other_buyer": OTHER.user_id, "event_seller": SELLER.user_id,
           "other_seller": OTHER_SELLER, "revoked": BUYER.user_id, "deleted": DELETED}
    if who == "anonymous":
        return {}, None
    headers = token(world, ids[who])
    if who == "revoked":
        user = world.store.users[BUYER.user_id]
        world.store.users[BUYER.user_id] = replace(user, token_version=user.token_version + 1)
    if who == "deleted":
        del world.store.users[DELETED]
    return headers, ids[who]


def snapshot(world: World) -> tuple:
    return (dict(world.store.users), dict(world.store.events), dict(world.store.bookings),
            list(world.publisher.sent))


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast_path", "route"])
@pytest.mark.parametrize(("route", "who", "status"), CELLS,
                         ids=[f"{route}-{who}" for route, who, _ in CELLS])
async def test_authorization_matrix(route, who, status, fast_path):
    world = World()
    params = await scene(world)
    headers, user_id = credentials(world, who)
    method, path, body, _ = MATRIX[route]
    if body == "own":
        body = {"current_password": f"pw-of-user-{user_id}", "new_password": "new-long-secret"}
    before = snapshot(world)
    app = create_app(world.service, fast_path=fast_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        payload = body | {"event_id": params["event"]} if route == "book" else body
        response = await client.request(method, path.format(**params), json=payload,
                                        headers=headers)
    assert response.status_code == status, response.text
    if status >= 400:
        assert snapshot(world) == before
