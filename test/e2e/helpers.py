"""Plain helpers for the end-to-end scenarios: everything goes through HTTP and SSE.

Factories make users with unique e-mails and events with a compact seating config; waits poll
with a deadline instead of sleeping a fixed time.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

PASSWORD = "correct-horse-battery"
FINAL = frozenset({"pending_payment", "completed", "cancelled", "failed"})
NAME = r"(?P<name>\w+)"
SEATS = r"(?P<seats>\d+-\d+(?:,\s*\d+-\d+)*)"


@dataclass(frozen=True)
class Actor:
    """A signed-up, logged-in user; `headers` authenticates a request as them."""

    name: str
    id: int
    email: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def new_client(base_url: str, **options) -> httpx.Client:
    """A client that keeps no cookies: it is shared, so each request says who it is (Bearer)."""
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.Client(base_url=base_url, timeout=30.0, cookies=jar, **options)


def seat_list(text: str) -> list[str]:
    """`"1-1, 1-2"` → `["1-1", "1-2"]`."""
    return [p.strip() for p in text.split(",") if p.strip()]


def expect(response: httpx.Response, status: int) -> dict | list:
    """The JSON body, after checking the status code (the body is in the failure message)."""
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url} → {response.status_code}, "
        f"expected {status}: {response.text}"
    )
    return response.json() if response.content else {}


def sign_up(client: httpx.Client, role: str, name: str = "") -> Actor:
    """Register a user with a unique e-mail and log in."""
    email = f"{role}-{uuid.uuid4().hex[:16]}@e2e.example"
    user = {"email": email, "password": PASSWORD, "name": name or role, "role": role}
    expect(client.post("/api/user", json=user), 201)
    body = expect(client.post("/api/user/login", json={"email": email, "password": PASSWORD}), 200)
    return Actor(name or role, body["id"], email, role, body["access_token"])


def sign_up_many(client: httpx.Client, count: int, prefix: str) -> list[Actor]:
    """`count` buyers named `{prefix}0`, `{prefix}1`, …"""
    return run_all(lambda i: sign_up(client, "buyer", f"{prefix}{i}"), range(count), workers=16)


def create_event(
    client: httpx.Client, seller: Actor, rows: int, cols: int, price: int = 1000,
    subsections: int = 1,
) -> dict:
    """An event on sale with one section "A" of `subsections` subsections of rows × cols."""
    config = {"rows": rows, "cols": cols,
              "sections": [{"name": "A", "price": price, "subsections": subsections}]}
    body = {"name": f"Show {uuid.uuid4().hex[:8]}", "description": "e2e",
            "venue_name": "Hall 1", "seating_config": config}
    return expect(client.post("/api/event", json=body, headers=seller.headers), 201)


def book(
    client: httpx.Client, buyer: Actor, event_id: int, quantity: int | None = None,
    seats: Iterable[str] = (), mode: str | None = None, subsection: int = 1,
    key: str | None = None,
) -> httpx.Response:
    """POST /api/booking; manual when seats are given, else best available; with an
    `Idempotency-Key` when `key` is given."""
    seats = list(seats)
    body = {
        "event_id": event_id, "section": "A", "subsection": subsection,
        "quantity": len(seats) if quantity is None else quantity,
        "seat_selection_mode": mode or ("manual" if seats else "best_available"),
        "seat_positions": seats,
    }
    headers = buyer.headers | ({"Idempotency-Key": key} if key is not None else {})
    return client.post("/api/booking", json=body, headers=headers)


def book_when_free(
    client: httpx.Client, buyer: Actor, event_id: int, quantity: int | None = None,
    seats: Iterable[str] = (), timeout: float = 30.0,
) -> str:
    """Book (`quantity` best available, or the given `seats`) until accepted; returns the
    booking id. Seats just released may take a moment to pass the fail-fast check (it reads
    Kvrocks, which the reservation service updates after the release command)."""
    seats = list(seats)
    deadline = time.monotonic() + timeout
    while True:
        response = book(client, buyer, event_id, quantity=quantity, seats=seats)
        if response.status_code == 202 or time.monotonic() > deadline:
            return expect(response, 202)["id"]
        detail = response.json()["detail"]
        assert detail.startswith(("Insufficient seats", "Seats not available: ")), detail
        time.sleep(0.1)


def get_booking(client: httpx.Client, actor: Actor, booking_id: str) -> dict:
    return expect(client.get(f"/api/booking/{booking_id}", headers=actor.headers), 200)


def wait_for_status(
    client: httpx.Client, actor: Actor, booking_id: str, statuses: Iterable[str],
    timeout: float = 30.0,
) -> dict:
    """Poll GET /api/booking/{id} until its status is one of `statuses`."""
    wanted, deadline, booking = set(statuses), time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        booking = get_booking(client, actor, booking_id)
        if booking["status"] in wanted:
            return booking
        time.sleep(0.05)
    raise AssertionError(f"booking {booking_id} not {sorted(wanted)} after {timeout}s: {booking}")


def wait_until(check: Callable[[], object], what: str, timeout: float = 30.0) -> object:
    """Call `check` until it returns something truthy; fail with `what` after `timeout`."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def settled_bookings(
    client: httpx.Client, seller: Actor, event_id: int, count: int, timeout: float = 60.0
) -> list[dict]:
    """The `count` bookings on the seller's event, once none of them is processing."""
    def check() -> list[dict] | None:
        listed = expect(client.get("/api/booking/my_booking", headers=seller.headers), 200)
        mine = [b for b in listed if b["event_id"] == event_id]
        done = len(mine) == count and all(b["status"] in FINAL for b in mine)
        return mine if done else None
    return wait_until(check, f"{count} settled bookings on event {event_id}", timeout)


def subsection(client: httpx.Client, event_id: int, number: int = 1) -> dict:
    """available/reserved/sold of subsection A-`number`."""
    event = expect(client.get(f"/api/event/{event_id}"), 200)
    return next(s for s in event["subsections"] if s["subsection"] == number)


def seat_map(client: httpx.Client, event_id: int, number: int = 1) -> dict[str, str]:
    """`{"row-seat": status}` of subsection A-`number`."""
    seats = expect(client.get(f"/api/event/{event_id}/sections/A/subsection/{number}/seats"), 200)
    return {s["seat_position"]: s["status"] for s in seats}


def run_all(job: Callable, items: Iterable, workers: int = 50) -> list:
    """`job(item)` for every item on a thread pool, results in item order."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(job, items))
