"""Steps of guarantees.feature (spec/architecture.md, "Guarantees"), end to end under
concurrency and stalls."""

import asyncio
import os
import time
import uuid

import asyncpg
from pytest_bdd import given, parsers, scenarios, then, when

from test.e2e.helpers import (
    FINAL,
    NAME,
    SEATS,
    Actor,
    book,
    book_when_free,
    create_event,
    expect,
    run_all,
    seat_list,
    seat_map,
    settled_bookings,
    sign_up,
    sign_up_many,
    subsection,
    wait_for_status,
    wait_until,
)
from test.e2e.scene import Scene
from test.e2e.sse import SseListener

scenarios("guarantees.feature")
INT = {"buyers": int, "count": int, "times": int, "seats": int, "free": int}


def _record(scene: Scene, buyers: list[Actor]) -> None:
    scene.actors.update((b.name, b) for b in buyers)


@when(parsers.re(r"(?P<buyers>\d+) buyers send (?P<count>\d+) one-seat best available "
                 r"bookings at the same time"), converters=INT)
def racing_bookings(scene: Scene, buyers: int, count: int):
    crowd = sign_up_many(scene.client, buyers, "racer")
    _record(scene, crowd)
    jobs = [crowd[i % buyers] for i in range(count)]
    responses = run_all(lambda b: (b, book(scene.client, b, scene.event["id"], 1)), jobs, count)
    scene.notes["refused"] = [r for _, r in responses if r.status_code != 202]
    scene.bookings += [(b.name, r.json()["id"]) for b, r in responses if r.status_code == 202]


@then("every accepted booking settles")
def all_settle(scene: Scene):
    scene.notes["settled"] = settled_bookings(
        scene.client, scene.seller, scene.event["id"], len(scene.bookings))


@then(parsers.re(r"exactly (?P<seats>\d+) bookings hold a seat and the other (?P<free>\d+) "
                 r"requests failed or were refused"), converters=INT)
def winners_and_losers(scene: Scene, seats: int, free: int):
    settled, refused = scene.notes["settled"], scene.notes["refused"]
    statuses = [b["status"] for b in settled]
    assert statuses.count("pending_payment") == seats
    assert statuses.count("failed") + len(refused) == free, (statuses.count("failed"), refused)
    for response in refused:
        assert expect(response, 400) == {"detail": "Insufficient seats available"}


@then("no seat is held by two bookings")
def no_double_booking(scene: Scene):
    holding = [b for b in scene.notes["settled"] if b["status"] == "pending_payment"]
    seats = [p for b in holding for p in b["seat_positions"]]
    assert all(len(b["seat_positions"]) == b["quantity"] for b in holding)
    assert len(seats) == len(set(seats)), "a seat was given to two bookings"
    current = seat_map(scene.client, scene.event["id"])
    assert sorted(p for p, s in current.items() if s == "reserved") == sorted(seats)


@given(parsers.re(r"(?P<buyers>\d+) buyers each hold a pending_payment booking of "
                  r"(?P<seats>\d+) seats"), converters=INT)
def kept_bookings(scene: Scene, buyers: int, seats: int):
    keepers = sign_up_many(scene.client, buyers, "keeper")
    _record(scene, keepers)
    ids = run_all(lambda b: expect(book(scene.client, b, scene.event["id"], seats), 202)["id"],
                  keepers)
    scene.bookings += [(b.name, i) for b, i in zip(keepers, ids, strict=True)]
    kept = [wait_for_status(scene.client, b, i, FINAL) for b, i in zip(keepers, ids, strict=True)]
    assert {k["status"] for k in kept} == {"pending_payment"}, kept
    scene.notes["kept"] = ids


@when(parsers.re(r"(?P<buyers>\d+) buyers each book (?P<seats>\d+) seats (?P<times>\d+) times "
                 r"and cancel every booking at once"), converters=INT)
def book_then_cancel(scene: Scene, buyers: int, seats: int, times: int):
    crowd = sign_up_many(scene.client, buyers, "canceller")
    _record(scene, crowd)

    def job(buyer: Actor):
        booking = expect(book(scene.client, buyer, scene.event["id"], seats), 202)
        return buyer, booking["id"], scene.client.patch(
            f"/api/booking/{booking['id']}", headers=buyer.headers)
    results = run_all(job, crowd * times, workers=buyers * times)
    scene.bookings += [(b.name, i) for b, i, _ in results]
    scene.notes["cancels"] = [(i, r) for _, i, r in results]


@then("every cancellation is accepted")
def cancellations_accepted(scene: Scene):
    for booking_id, response in scene.notes["cancels"]:
        assert expect(response, 200)["status"] == "cancelled", booking_id


@then("no cancelled booking holds a ticket")
def cancelled_hold_nothing(scene: Scene):
    cancelled = [b for b in scene.notes["settled"] if b["status"] == "cancelled"]
    assert len(cancelled) == len(scene.notes["cancels"])
    details = run_all(lambda b: expect(scene.client.get(
        f"/api/booking/{b['id']}", headers=scene.seller.headers), 200), cancelled)
    assert [d["tickets"] for d in details if d["tickets"]] == []


@then("the reserved seats on the seat map are exactly those of the kept bookings")
def reserved_are_kept(scene: Scene):
    kept = [b for b in scene.notes["settled"] if b["id"] in scene.notes["kept"]]
    seats = sorted(p for b in kept for p in b["seat_positions"])
    current = seat_map(scene.client, scene.event["id"])
    assert sorted(p for p, s in current.items() if s == "reserved") == seats


@then(parsers.re(r"all (?P<free>\d+) free seats can be booked again"), converters=INT)
def refill(scene: Scene, free: int):
    buyers = [a for n, a in scene.actors.items() if n.startswith("canceller")]
    jobs = [buyers[i % len(buyers)] for i in range(free // 2)]
    ids = run_all(lambda b: (b, book_when_free(scene.client, b, scene.event["id"], 2)), jobs)
    refills = [wait_for_status(scene.client, b, i, FINAL) for b, i in ids]
    assert {r["status"] for r in refills} == {"pending_payment"}, refills
    assert subsection(scene.client, scene.event["id"])["available"] == 0
    assert set(seat_map(scene.client, scene.event["id"]).values()) == {"reserved"}


@when(parsers.re(rf"{NAME} opens the booking stream of the event"))
def opens_event_stream(scene: Scene, name: str):
    path = f"/api/booking/event/{scene.event['id']}/sse"
    scene.listeners[name] = SseListener(scene.client, path, scene.actors[name].headers)


@when(parsers.re(rf"{NAME} opens the stream of that booking"))
def opens_booking_stream(scene: Scene, name: str):
    path = f"/api/booking/event/{scene.event['id']}/sse?booking_id={scene.booking}"
    scene.listeners[name] = SseListener(scene.client, path, scene.actors[name].headers)


@given(parsers.re(r"two sellers each have an event on sale with (?P<rows>\d+) rows of "
                  r"(?P<cols>\d+) seats"), converters={"rows": int, "cols": int})
def two_events(scene: Scene, rows: int, cols: int):
    sellers = [sign_up(scene.client, "seller", f"seller{i}") for i in range(2)]
    scene.notes["events"] = [(s, create_event(scene.client, s, rows, cols)) for s in sellers]


@when(parsers.re(r"(?P<buyers>\d+) buyers each book (?P<seats>\d+) seats on both events at "
                 r"the same time"), converters=INT)
def book_both_events(scene: Scene, buyers: int, seats: int):
    crowd = sign_up_many(scene.client, buyers, "fan")
    jobs = [(b, e) for b in crowd for _, e in scene.notes["events"]]
    responses = run_all(lambda job: book(scene.client, job[0], job[1]["id"], seats), jobs)
    for response in responses:
        expect(response, 202)


@then(parsers.re(r"all (?P<count>\d+) bookings on each event become pending_payment"),
      converters=INT)
def both_events_settle(scene: Scene, count: int):
    for seller, event in scene.notes["events"]:
        settled = settled_bookings(scene.client, seller, event["id"], count)
        assert {b["status"] for b in settled} == {"pending_payment"}, settled


@then(parsers.re(r"each event shows (?P<free>\d+) available and (?P<seats>\d+) reserved"),
      converters=INT)
def both_events_counts(scene: Scene, free: int, seats: int):
    for _, event in scene.notes["events"]:
        counts = subsection(scene.client, event["id"])
        assert (counts["available"], counts["reserved"], counts["sold"]) == (free, seats, 0)


@given("the reservation service stalls")
def reservation_stalls(scene: Scene):
    scene.reservation.pause()


@then("while the service stalls the booking stays processing and is not sent again")
def not_sent_again(scene: Scene):
    # The broker acknowledged the command; the relay (re-send after 2 s here) must leave it be.
    wait_until(lambda: _outbox_row(scene.booking)["command_acked"], "the ack to be recorded",
               timeout=8.0)
    time.sleep(4.0)
    assert _outbox_row(scene.booking)["publish_attempts"] == 1
    assert expect(scene.client.get(f"/api/booking/{scene.booking}",
                                   headers=scene.owner.headers), 200)["status"] == "processing"


def _outbox_row(booking_id: str) -> dict:
    async def read() -> dict:
        conn = await asyncpg.connect(os.environ["DATABASE_URL"])
        try:
            return dict(await conn.fetchrow(
                "SELECT publish_attempts, command_acked FROM bookings WHERE id = $1",
                uuid.UUID(booking_id)))
        finally:
            await conn.close()
    # A thread of its own: never touch the event loop pytest-asyncio keeps for the session.
    return run_all(lambda _: asyncio.run(read()), [None], workers=1)[0]


@when(parsers.re(rf'{NAME} books seats {SEATS} with Idempotency-Key "(?P<key>[^"]+)"'))
def books_with_key(scene: Scene, name: str, seats: str, key: str):
    scene.submit(name, seats=seat_list(seats), key=key)
    scene.notes["first"] = expect(scene.response, 202)


@when(parsers.re(rf'{NAME} sends the same booking again with Idempotency-Key "(?P<key>[^"]+)"'))
def books_again_with_key(scene: Scene, name: str, key: str):
    seats = scene.notes["first"]["seat_positions"]
    scene.response = book(scene.client, scene.actors[name], scene.event["id"], seats=seats,
                          key=key)


@then(parsers.re(r"the answer is 202 with the same booking, marked as replayed, now "
                 r"(?P<status>\w+)"))
def same_booking_replayed(scene: Scene, status: str):
    body = expect(scene.response, 202)
    assert scene.response.headers["Idempotent-Replayed"] == "true"
    assert (body["id"], body["status"]) == (scene.notes["first"]["id"], status), body


@then(parsers.re(rf"{NAME} has exactly (?P<count>\d+) bookings?"), converters=INT)
def has_bookings(scene: Scene, name: str, count: int):
    listed = expect(scene.client.get("/api/booking/my_booking",
                                     headers=scene.actors[name].headers), 200)
    assert len([b for b in listed if b["event_id"] == scene.event["id"]]) == count, listed


@when(parsers.re(rf'{NAME} pays for the booking(?P<again> again)? with Idempotency-Key '
                 r'"(?P<key>[^"]+)"'))
def pays_with_key(scene: Scene, name: str, again: str | None, key: str):
    headers = scene.actors[name].headers | {"Idempotency-Key": key}
    response = scene.client.post(f"/api/booking/{scene.booking}/pay", headers=headers)
    scene.notes.setdefault("payments", []).append(response)


@then("both payments answer 200 with the booking completed, the second marked as replayed")
def both_payments(scene: Scene):
    first, second = scene.notes["payments"]
    for response in (first, second):
        body = expect(response, 200)
        assert (body["id"], body["status"]) == (scene.booking, "completed"), body
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json()["paid_at"] == first.json()["paid_at"]
    assert [t["code"] for t in second.json()["tickets"]] == [
        t["code"] for t in first.json()["tickets"]]
