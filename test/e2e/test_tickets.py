"""Steps of tickets.feature (spec/tickets.md)."""

import io
from datetime import UTC, datetime, timedelta

import segno
from pytest_bdd import given, parsers, scenarios, then, when

from src.service.ticketing.adapters.qr import BORDER, SCALE
from test.e2e.helpers import NAME, SEATS, book, book_when_free, expect, seat_list, sign_up
from test.e2e.scene import Scene
from test.e2e.tickets_steps import my_tickets, ticket_for

scenarios("tickets.feature")
SEAT = r"(?P<seat>\d+-\d+)"


@given(parsers.re(rf"{NAME} holds a paid ticket for seat {SEAT}"))
def holds_paid_ticket(scene: Scene, name: str, seat: str):
    booking = scene.settled(name, "pending_payment", seats=[seat])
    buyer = scene.actors[name]
    expect(scene.client.post(f"/api/booking/{booking['id']}/pay", headers=buyer.headers), 200)


@then(parsers.re(rf"{NAME} holds valid tickets for seats {SEATS} at (?P<price>\d+) each"),
      converters={"price": int})
def holds_tickets(scene: Scene, name: str, seats: str, price: int):
    tickets = my_tickets(scene, scene.actors[name])
    assert sorted(t["seat_position"] for t in tickets) == sorted(seat_list(seats))
    assert {(t["status"], t["price"], t["event"]["id"]) for t in tickets} == {
        ("valid", price, scene.event["id"])}
    codes = [t["code"] for t in tickets]
    assert all(len(c) >= 22 for c in codes) and len(set(codes)) == len(codes)


@then(parsers.re(rf"the QR code of {NAME}'s ticket for seat {SEAT} draws its code"))
def qr_draws_code(scene: Scene, name: str, seat: str):
    actor = scene.actors[name]
    ticket = ticket_for(scene, actor, seat)
    response = scene.client.get(f"/api/ticket/{ticket['id']}/qr.png", headers=actor.headers)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    expected = io.BytesIO()
    segno.make(ticket["code"], error="m").save(expected, kind="png", scale=SCALE, border=BORDER)
    assert response.content == expected.getvalue()
    again = scene.client.get(f"/api/ticket/{ticket['id']}/qr.png",
                             headers=actor.headers | {"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


@when(parsers.re(rf'{NAME} names "(?P<who>[^"]+)" <(?P<email>[^>]+)> as the attendee of '
                 rf"seat {SEAT}"))
def names_attendee(scene: Scene, name: str, who: str, email: str, seat: str):
    actor = scene.actors[name]
    ticket = ticket_for(scene, actor, seat)
    scene.notes["ticket"] = ticket
    scene.response = scene.client.put(f"/api/ticket/{ticket['id']}/attendee",
                                      json={"name": who, "email": email}, headers=actor.headers)
    expect(scene.response, 200)


@then(parsers.re(rf'the ticket for seat {SEAT} shows the attendee "(?P<who>[^"]+)"'))
def shows_attendee(scene: Scene, seat: str, who: str):
    ticket = ticket_for(scene, scene.owner, seat)
    assert ticket["attendee"]["name"] == who


@then(parsers.re(rf"the seller sees the ticket for seat {SEAT} without its code"))
def seller_sees(scene: Scene, seat: str):
    ticket_id = scene.notes["ticket"]["id"]
    seen = expect(scene.client.get(f"/api/ticket/{ticket_id}", headers=scene.seller.headers), 200)
    assert (seen["seat_position"], seen["code"]) == (seat, None)


@then(parsers.re(rf"{NAME}, another buyer, cannot see the ticket for seat {SEAT}"))
def stranger_cannot_see(scene: Scene, name: str, seat: str):
    stranger = scene.actors.setdefault(name, sign_up(scene.client, "buyer", name))
    ticket_id = scene.notes["ticket"]["id"]
    response = scene.client.get(f"/api/ticket/{ticket_id}", headers=stranger.headers)
    assert (response.status_code, response.json()) == (404, {"detail": "Ticket not found"})
    qr = scene.client.get(f"/api/ticket/{ticket_id}/qr.svg", headers=stranger.headers)
    assert qr.status_code == 404


@given(parsers.re(rf"the seller adds {NAME} as door staff"))
def adds_staff(scene: Scene, name: str):
    response = scene.client.post(f"/api/event/{scene.event['id']}/staff",
                                 json={"email": scene.actors[name].email},
                                 headers=scene.seller.headers)
    assert expect(response, 201)["id"] == scene.actors[name].id


def _scan(scene: Scene, who, code: str, gate: str) -> None:
    scene.notes["code"] = code
    scene.response = scene.client.post(f"/api/event/{scene.event['id']}/check-in",
                                       json={"code": code, "gate": gate}, headers=who.headers)


@when(parsers.re(rf"{NAME} scans (?P<holder>\w+)'s ticket for seat {SEAT} at gate "
                 r'"(?P<gate>[^"]+)"'))
def scans_ticket(scene: Scene, name: str, holder: str, seat: str, gate: str):
    ticket = ticket_for(scene, scene.actors[holder], seat)
    _scan(scene, scene.actors[name], ticket["code"], gate)


@when(parsers.re(r'the seller scans the same code at gate "(?P<gate>[^"]+)"'))
def seller_scans_again(scene: Scene, gate: str):
    _scan(scene, scene.seller, scene.notes["code"], gate)


@then(parsers.re(r'the ticket is admitted at gate "(?P<gate>[^"]+)"'))
def admitted(scene: Scene, gate: str):
    body = expect(scene.response, 200)
    assert (body["result"], body["gate"], body["ticket"]["status"]) == (
        "checked_in", gate, "checked_in")


@then(parsers.re(r'the scan is refused with 409 naming gate "(?P<gate>[^"]+)"'))
def refused_naming_gate(scene: Scene, gate: str):
    detail = expect(scene.response, 409)["detail"]
    assert detail.startswith("Ticket already checked in at ") and detail.endswith(f"(gate {gate})")


@then(parsers.re(r"the event shows (?P<checked_in>\d+) checked in of (?P<sold>\d+) sold"),
      converters={"checked_in": int, "sold": int})
def event_counts(scene: Scene, checked_in: int, sold: int):
    event = expect(scene.client.get(f"/api/event/{scene.event['id']}"), 200)
    assert event["attendance"] == {"checked_in": checked_in, "sold": sold}


@then(parsers.re(r"the scan log shows (?P<results>[\w, ]+)"))
def scan_log(scene: Scene, results: str):
    log = expect(scene.client.get(f"/api/event/{scene.event['id']}/check-ins",
                                  headers=scene.seller.headers), 200)
    assert [s["result"] for s in reversed(log["items"])] == [r.strip() for r in results.split(",")]


@when(parsers.re(rf"{NAME} transfers (?:her|his|their) ticket for seat {SEAT} to "
                 r"(?P<recipient>\w+)"))
def transfers(scene: Scene, name: str, seat: str, recipient: str):
    actor = scene.actors[name]
    ticket = ticket_for(scene, actor, seat)
    scene.notes["old"] = ticket
    response = scene.client.post(f"/api/ticket/{ticket['id']}/transfer",
                                 json={"to_email": scene.actors[recipient].email},
                                 headers=actor.headers)
    assert expect(response, 200)["status"] == "transferred"


@then(parsers.re(rf"{NAME}'s ticket for seat {SEAT} is transferred"))
def is_transferred(scene: Scene, name: str, seat: str):
    old = ticket_for(scene, scene.actors[name], seat, status="transferred")
    assert old["id"] == scene.notes["old"]["id"]
    assert old["attendee"]["name"] == "Ann Lee"  # its history is kept as it was


@then(parsers.re(rf"{NAME} holds a valid ticket for seat {SEAT} with a new code"))
def holds_new(scene: Scene, name: str, seat: str):
    new = ticket_for(scene, scene.actors[name], seat)
    assert new["transferred_from"] == scene.notes["old"]["id"]
    assert new["code"] != scene.notes["old"]["code"] and new["attendee"] is None


@when(parsers.re(rf"the seller scans {NAME}'s old code at gate \"(?P<gate>[^\"]+)\""))
def seller_scans_old(scene: Scene, name: str, gate: str):
    _scan(scene, scene.seller, scene.notes["old"]["code"], gate)


@when(parsers.re(rf"the seller scans {NAME}'s ticket for seat {SEAT} at gate "
                 r'"(?P<gate>[^"]+)"'))
def seller_scans(scene: Scene, name: str, seat: str, gate: str):
    _scan(scene, scene.seller, ticket_for(scene, scene.actors[name], seat)["code"], gate)


@given(parsers.re(r"the event starts in (?P<days>\d+) days"), converters={"days": int})
def event_starts_in(scene: Scene, days: int):
    starts_at = (datetime.now(UTC) + timedelta(days=days)).isoformat()
    response = scene.client.patch(f"/api/event/{scene.event['id']}",
                                  json={"starts_at": starts_at}, headers=scene.seller.headers)
    assert expect(response, 200)["starts_at"] is not None


@given(parsers.re(rf"{NAME} pays for the booking"))
def has_paid(scene: Scene, name: str):
    response = scene.client.post(f"/api/booking/{scene.booking}/pay",
                                 headers=scene.actors[name].headers)
    expect(response, 200)


@when(parsers.re(rf"{NAME} refunds (?:her|his|their) ticket for seat {SEAT}"))
def refunds_ticket(scene: Scene, name: str, seat: str):
    actor = scene.actors[name]
    ticket = ticket_for(scene, actor, seat)
    scene.response = scene.client.post(f"/api/ticket/{ticket['id']}/refund",
                                       headers=actor.headers)


@then(parsers.re(r"(?:she|he|they) (?:is|are) paid back (?P<amount>\d+), all of its price"),
      converters={"amount": int})
def paid_back(scene: Scene, amount: int):
    body = expect(scene.response, 200)
    assert body["ticket"]["status"] == "refunded"
    refund = body["refund"]
    assert (refund["amount"], refund["percent"], refund["price"], refund["paid_out"]) == (
        amount, 100, amount, True)


@when(parsers.re(rf"{NAME} books seat {SEAT} as soon as it is free"))
def books_when_free(scene: Scene, name: str, seat: str):
    booking_id = book_when_free(scene.client, scene.actors[name], scene.event["id"],
                                seats=[seat])
    scene.bookings.append((name, booking_id))


@then(parsers.re(rf"{NAME} cannot book seat {SEAT}, which (?P<holder>\w+) still holds"))
def cannot_book(scene: Scene, name: str, seat: str, holder: str):
    response = book(scene.client, scene.actors[name], scene.event["id"], seats=[seat])
    assert (response.status_code, response.json()) == (
        400, {"detail": f"Seats not available: {seat}"})
    assert ticket_for(scene, scene.actors[holder], seat)["status"] == "valid"
