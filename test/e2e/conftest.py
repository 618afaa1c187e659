"""End-to-end tier: the real ticketing API and reservation consumer, driven over HTTP and SSE.

Needs the infrastructure of `deploy/local/infra.py up --profile test` and its variables
(DATABASE_URL, KVROCKS_URL, KAFKA_BOOTSTRAP_SERVERS) plus migrated tables. The session starts
both services as child processes and stops them at the end. Steps shared by several features
live here (pytest-bdd steps are fixtures, so conftest is where they are visible to all).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import httpx
import pytest
from pytest_bdd import given, parsers, then, when

from test.e2e import processes
from test.e2e.helpers import (
    FINAL,
    NAME,
    SEATS,
    book,
    create_event,
    expect,
    get_booking,
    new_client,
    seat_list,
    seat_map,
    sign_up,
    subsection,
    wait_for_status,
    wait_until,
)
from test.e2e.scene import Scene, make_booking

E2E_GROUP = "reservation-e2e"  # own consumer group: other tiers' consumers never steal work
E2E_SECRET = secrets.token_hex(32)  # the tier's own signing secret (spec/security.md)
KEEP_ALIVE_S = 5  # the launcher's TICKETING_KEEP_ALIVE_S, its default in every start script
BODY_TIMEOUT_S = 3  # shorter than the default 10 s, so the timeout tests are quick

# What every API process of the tier runs with; the main one on the launcher's default server.
API_ENV = {"TICKETING_OUTBOX_REPUBLISH_AFTER_S": "2", "TICKETING_JWT_SECRET": E2E_SECRET,
           "TICKETING_SELLER_SIGNUP": "open", "TICKETING_EXPIRY_INTERVAL_S": "0.5",
           "TICKETING_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
           "TICKETING_KEEP_ALIVE_S": str(KEEP_ALIVE_S)}


@dataclass(frozen=True)
class Services:
    base_url: str
    ticketing: processes.Service
    reservation: processes.Service


def _warm_up(base_url: str, services: list[processes.Service]) -> None:
    """One booking through the whole pipeline, so scenarios never wait for group joins."""
    with new_client(base_url) as client:
        seller, buyer = sign_up(client, "seller"), sign_up(client, "buyer")
        event = create_event(client, seller, rows=1, cols=2)
        booking = expect(book(client, buyer, event["id"], quantity=1), 202)
        try:
            wait_for_status(client, buyer, booking["id"], FINAL, timeout=120.0)
        except AssertionError as e:
            tails = "\n".join(s.tail() for s in services)
            raise RuntimeError(f"the pipeline does not settle bookings: {e}\n{tails}") from e


@pytest.fixture(scope="session")
def services():
    missing = processes.missing_env()
    if missing:
        pytest.fail(f"e2e needs {', '.join(missing)}: source .local/test/env", pytrace=False)
    port = processes.free_port()
    base_url = f"http://127.0.0.1:{port}"
    ticketing = processes.start_api("ticketing", port, API_ENV)
    reservation = processes.start(
        "reservation", ["src.service.reservation.entrypoints.consumer"],
        {"RESERVATION_GROUP_ID": E2E_GROUP},
    )
    try:
        processes.wait_healthy(base_url, ticketing)
        _warm_up(base_url, [ticketing, reservation])
        yield Services(base_url, ticketing, reservation)
    finally:
        reservation.stop()
        ticketing.stop()


@pytest.fixture(scope="session")
def base_url(services: Services) -> str:
    return services.base_url


@pytest.fixture(scope="session")
def client(base_url: str):
    """One client for every actor (no cookies; Bearer per request), sized for the races."""
    limits = httpx.Limits(max_connections=300, max_keepalive_connections=100)
    with new_client(base_url, limits=limits) as http:
        yield http


@pytest.fixture
def scene(client: httpx.Client, services: Services):
    for service in (services.ticketing, services.reservation):
        if not service.alive():
            pytest.fail(f"{service.name} is not running\n{service.tail()}", pytrace=False)
    current = Scene(client, services.reservation)
    yield current
    services.reservation.resume()
    for listener in current.listeners.values():
        listener.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, attach the tail of each service log to the report."""
    outcome = yield
    report = outcome.get_result()
    services = getattr(item, "funcargs", {}).get("services")
    if report.failed and isinstance(services, Services):
        for service in (services.ticketing, services.reservation):
            report.sections.append((f"{service.name} log", service.tail(60)))


# --- shared steps -------------------------------------------------------------------------


@given(parsers.parse("a seller has an event on sale with {rows:d} rows of {cols:d} seats "
                     "at {price:d} each"))
def event_on_sale(scene: Scene, rows: int, cols: int, price: int):
    scene.seller = sign_up(scene.client, "seller", "Sam Seller")
    scene.event = create_event(scene.client, scene.seller, rows, cols, price)


@given(parsers.re(rf"{NAME} is a buyer"))
def a_buyer(scene: Scene, name: str):
    scene.actors[name] = sign_up(scene.client, "buyer", name)


@given(parsers.re(rf"{NAME} has a pending_payment booking for seats {SEATS}"))
def pending_booking_for(scene: Scene, name: str, seats: str):
    scene.settled(name, "pending_payment", seats=seat_list(seats))


@given(parsers.re(rf"{NAME} has an? (?P<status>\w+) booking"))
def booking_in_status(scene: Scene, name: str, status: str):
    make_booking(scene, name, status)


@when(parsers.re(rf"{NAME} books seats {SEATS}"))
def books_seats(scene: Scene, name: str, seats: str):
    scene.submit(name, seats=seat_list(seats))


@when(parsers.re(rf"{NAME} books (?P<quantity>\d+) seats? with best available"),
      converters={"quantity": int})
def books_best_available(scene: Scene, name: str, quantity: int):
    scene.submit(name, quantity=quantity)


@when(parsers.re(rf"{NAME} (?P<action>pays for|cancels) (?:the|(?P<owner>\w+)'s) booking"))
def pays_or_cancels(scene: Scene, name: str, action: str, owner: str | None):
    booking_id = scene.booking_of(owner) if owner else scene.booking
    headers, path = scene.actors[name].headers, f"/api/booking/{booking_id}"
    if action == "pays for":
        scene.response = scene.client.post(f"{path}/pay", headers=headers)
    else:
        scene.response = scene.client.patch(path, headers=headers)


@then(parsers.re(r'the request is rejected with (?P<code>\d+) "(?P<message>.*)"'),
      converters={"code": int})
def rejected(scene: Scene, code: int, message: str):
    assert expect(scene.response, code) == {"detail": message}


@then("the booking is accepted as processing")
def accepted_as_processing(scene: Scene):
    body = expect(scene.response, 202)
    owner = scene.owner
    assert body["status"] == "processing"
    assert (body["buyer_id"], body["event_id"]) == (owner.id, scene.event["id"])


@then(parsers.re(r"the booking (?P<how>becomes|is still) (?P<status>\w+)"))
def booking_status(scene: Scene, how: str, status: str):
    owner = scene.owner
    if how == "becomes":
        booking = wait_for_status(scene.client, owner, scene.booking, FINAL)
    else:
        booking = get_booking(scene.client, owner, scene.booking)
    assert booking["status"] == status, booking


@then(parsers.re(rf"seats {SEATS} are (?P<status>available|reserved|sold) on the seat map"))
def seats_on_map(scene: Scene, seats: str, status: str):
    current = seat_map(scene.client, scene.event["id"])
    assert {p: current[p] for p in seat_list(seats)} == {p: status for p in seat_list(seats)}


@then(parsers.re(r"the subsection shows (?P<available>\d+) available, (?P<reserved>\d+) "
                 r"reserved and (?P<sold>\d+) sold"),
      converters={"available": int, "reserved": int, "sold": int})
def subsection_counts(scene: Scene, available: int, reserved: int, sold: int):
    wanted = (available, reserved, sold)

    def counts() -> tuple:
        s = subsection(scene.client, scene.event["id"])
        return s["available"], s["reserved"], s["sold"]
    wait_until(lambda: counts() == wanted, f"counts {wanted}, last {counts()}", timeout=15.0)


@when("the reservation service catches up")
def reservation_catches_up(scene: Scene):
    scene.reservation.resume()


@then(parsers.re(rf"{NAME} is told the booking is (?P<status>\w+)(?: with seats {SEATS})?"))
def told_status(scene: Scene, name: str, status: str, seats: str | None):
    def wanted(event: str, data: object) -> bool:
        return (event == "status_update" and data["booking_id"] == scene.booking
                and data["status"] == status)
    _, update = scene.listeners[name].wait_for(wanted, timeout=10.0)
    assert update["buyer_id"] == scene.actors[name].id
    assert update["event_id"] == scene.event["id"]
    if seats:
        assert sorted(update["seat_positions"]) == sorted(seat_list(seats)), update


@then("the stream closes by itself")
def stream_closes(scene: Scene):
    (listener,) = scene.listeners.values()
    listener.wait_for(lambda event, _: event == "close")
    assert listener.ended(), f"stream still open after close; events: {listener.seen}"
