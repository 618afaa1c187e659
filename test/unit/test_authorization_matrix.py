"""Who may do what: every principal against every route, over ASGI with fakes, the booking
fast path on and off (spec/security.md, "Threats and answers"; spec/architecture.md, "HTTP
conventions"). A refused request changes nothing."""

import re
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from src.service.lifecycle import BookingStatus
from src.service.ticketing.domain.refund_policy import EventTerms
from src.service.ticketing.domain.user import Role, User
from src.service.ticketing.entrypoints.http import create_app
from test.unit.test_http_accept import BOOK
from test.unit.test_ticketing_use_cases import BUYER, LAYOUT, OTHER, SELLER, World

PRINCIPALS = ("owner", "other_buyer", "event_seller", "other_seller", "door_staff", "anonymous",
              "revoked", "deleted")
OTHER_SELLER, DELETED, DOOR_STAFF = 4, 5, 6
SIGNED_IN = [200] * 5 + [401] * 3
HOLDER = [200, 404, 200, 404, 404, 401, 401, 401]  # the holder, and the seller without the code
HOLDER_ONLY = [200, 404, 403, 404, 404, 401, 401, 401]  # the event's seller sees, may not act
SELLER_ONLY = [403, 403, 200, 403, 403, 401, 401, 401]
AT_THE_DOOR = [403, 403, 200, 403, 200, 401, 401, 401]
SCAN = {"code": "{code}", "nonce": "n-1", "scanned_at": "{now}", "gate": "East"}

# route: (method, path, body, statuses in the order of PRINCIPALS); "{…}" in paths and bodies
# are the scene's (`scene`). The ticket is the owner's, of a paid booking of the event.
MATRIX = {
    "sign up": ("POST", "/api/user", {"email": "new@x.io", "password": "bright-orange-kite",
                                      "name": "New", "role": "buyer"}, [201] * 8),
    "log in": ("POST", "/api/user/login", {"email": "user2@x.io", "password": "pw-of-user-2"},
               [200] * 8),
    "who am I": ("GET", "/api/user", None, SIGNED_IN),
    "change password": ("POST", "/api/user/password", "own", SIGNED_IN),
    "log out": ("POST", "/api/user/logout", None, [204] * 5 + [401] * 3),
    "create event": ("POST", "/api/event", {"name": "Mine", "seating_config": LAYOUT},
                     [403, 403, 201, 201, 403, 401, 401, 401]),
    "list events": ("GET", "/api/event", None, [200] * 8),
    "one event": ("GET", "/api/event/{event}", None, [200] * 8),
    "seats": ("GET", "/api/event/{event}/sections/A/subsection/1/seats", None, [200] * 8),
    "event stream": ("GET", "/api/event/{event}/sse", None, [200] * 8),
    "book": ("POST", "/api/booking", BOOK | {"quantity": 1},
             [202, 202, 403, 403, 202, 401, 401, 401]),
    "my bookings": ("GET", "/api/booking/my_booking", None, SIGNED_IN),
    "one booking": ("GET", "/api/booking/{booking}", None, HOLDER),
    "cancel": ("PATCH", "/api/booking/{booking}", None, [200, 403, 403, 403, 403, 401, 401, 401]),
    "pay": ("POST", "/api/booking/{booking}/pay", None, [200, 403, 403, 403, 403, 401, 401, 401]),
    "booking stream": ("GET", "/api/booking/event/{event}/sse", None, SIGNED_IN),
    "one booking's stream": ("GET", "/api/booking/event/{event}/sse?booking_id={booking}", None,
                             HOLDER),
    # spec/tickets.md, "Endpoints"
    "change terms": ("PATCH", "/api/event/{event}", {"refunds_enabled": False}, SELLER_ONLY),
    "my tickets": ("GET", "/api/ticket/my", None, SIGNED_IN),
    "one ticket": ("GET", "/api/ticket/{ticket}", None, HOLDER),
    "qr png": ("GET", "/api/ticket/{ticket}/qr.png", None, HOLDER_ONLY),
    "qr svg": ("GET", "/api/ticket/{ticket}/qr.svg", None, HOLDER_ONLY),
    "attendee": ("PUT", "/api/ticket/{ticket}/attendee", {"name": "Ann", "email": "ann@x.io"},
                 HOLDER_ONLY),
    "transfer": ("POST", "/api/ticket/{ticket}/transfer", {"to_email": "user3@x.io"},
                 HOLDER_ONLY),
    "refund ticket": ("POST", "/api/ticket/{ticket}/refund", None, HOLDER_ONLY),
    "refund booking": ("POST", "/api/booking/{paid}/refund", None,
                       [200, 403, 403, 403, 403, 401, 401, 401]),
    "door staff": ("GET", "/api/event/{event}/staff", None, SELLER_ONLY),
    "add door staff": ("POST", "/api/event/{event}/staff", {"email": "user3@x.io"},
                       [403, 403, 201, 403, 403, 401, 401, 401]),
    "remove door staff": ("DELETE", "/api/event/{event}/staff", {"email": "user6@x.io"},
                          [403, 403, 204, 403, 403, 401, 401, 401]),
    "check in": ("POST", "/api/event/{event}/check-in", {"code": "{code}", "gate": "North"},
                 AT_THE_DOOR),
    "offline upload": ("POST", "/api/event/{event}/check-in/batch", [SCAN], AT_THE_DOOR),
    "scan log": ("GET", "/api/event/{event}/check-ins", None, AT_THE_DOOR),
    "event status": ("POST", "/api/event/{event}/status", {"status": "closed"}, SELLER_ONLY),
    "cancel event": ("POST", "/api/event/{event}/cancel", None, SELLER_ONLY),
}
CELLS = [(route, who, MATRIX[route][3][i]) for route in MATRIX
         for i, who in enumerate(PRINCIPALS)]


async def scene(world: World) -> dict:
    """An event of SELLER with a pending_payment booking of BUYER (the owner), a paid one with
    its issued tickets, DOOR_STAFF as the event's door staff, and the extra accounts; returns
    the parameters of the paths and bodies."""
    for user_id, role in ((OTHER_SELLER, Role.SELLER), (DELETED, Role.BUYER),
                          (DOOR_STAFF, Role.BUYER)):
        world.store.users[user_id] = User(user_id, f"user{user_id}@x.io", "x", role)
    for user_id, user in world.store.users.items():
        world.store.users[user_id] = replace(user, password_hash=f"plain:pw-of-user-{user_id}")
    event_id = await world.event()
    starts = EventTerms(starts_at=world.clock.now() + timedelta(days=60))  # refundable
    world.store.events[event_id] = replace(world.store.events[event_id], terms=starts)
    paid = await world.book(event_id, seats=["2-4", "2-5"])
    world.settle(paid.id, BookingStatus.PENDING_PAYMENT)
    await world.service.pay_booking(BUYER, paid.id)
    booking = await world.book(event_id)
    world.settle(booking.id, BookingStatus.PENDING_PAYMENT)
    world.store.staff[event_id] = [DOOR_STAFF]
    ticket = min(world.store.issued.values(), key=lambda t: t.id)
    return {"event": event_id, "booking": booking.id, "paid": paid.id, "ticket": ticket.id,
            "code": ticket.code, "now": world.clock.now().isoformat()}


def fill(body, params: dict):
    """`body` with the scene's parameters put into its strings."""
    if isinstance(body, dict):
        return {k: fill(v, params) for k, v in body.items()}
    if isinstance(body, list):
        return [fill(v, params) for v in body]
    return body.format(**params) if isinstance(body, str) else body


def token(world: World, user_id: int) -> dict:
    return {"Authorization": f"Bearer {world.service.tokens.issue(world.store.users[user_id])}"}


def credentials(world: World, who: str) -> tuple[dict, int | None]:
    """(headers, user id) of the principal; revoked and deleted ones lose their account's
    trust after the token was issued."""
    ids = {"owner": BUYER.user_id, "other_buyer": OTHER.user_id, "event_seller": SELLER.user_id,
           "other_seller": OTHER_SELLER, "door_staff": DOOR_STAFF, "revoked": BUYER.user_id,
           "deleted": DELETED}
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
    store = world.store
    return (dict(store.users), dict(store.events), dict(store.bookings), dict(store.issued),
            {event: list(staff) for event, staff in store.staff.items()}, list(store.scans),
            dict(store.refunds), list(world.publisher.sent))


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
        payload = body | {"event_id": params["event"]} if route == "book" else fill(body, params)
        response = await client.request(method, path.format(**params), json=payload,
                                        headers=headers)
    assert response.status_code == status, response.text
    if status >= 400:
        assert snapshot(world) == before


def test_every_route_of_the_api_is_in_the_matrix():
    """A new route cannot go without its row: each API operation of the app's OpenAPI
    document is hit by one."""
    paths = create_app(World().service).openapi()["paths"]
    rows = [(m.lower(), p.split("?")[0].format(event=1, booking="b", paid="p", ticket=1))
            for m, p, _, _ in MATRIX.values()]
    missing = [(method, path) for path, operations in paths.items() if path.startswith("/api/")
               for method in operations
               if not any(m == method and re.fullmatch(re.sub(r"\{[a-z_]+\}", "[^/]+", path), p)
                          for m, p in rows)]
    assert missing == []
