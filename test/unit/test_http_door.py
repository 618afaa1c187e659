"""The door routes over ASGI with fakes: status codes and bodies of every scan outcome, the
offline upload, staff and the scan log (spec/tickets.md, rules 8–11)."""

import httpx
import pytest

from src.service.lifecycle import IssuedTicketStatus
from src.service.ticketing.domain.user import Principal, Role
from src.service.ticketing.entrypoints.http import create_app
from test.ticket_fakes import SELLER, TicketWorld
from test.unit.test_http_tickets import bearer

STAFF = Principal(7, Role.BUYER)


@pytest.fixture
async def door():
    world = TicketWorld()
    world.account(SELLER, "sam@seller.io")
    world.account(STAFF, "gate@staff.io", "Gil Gate")
    event_id = await world.event()
    _, tickets = await world.paid(event_id)
    transport = httpx.ASGITransport(app=create_app(world.service, fast_path=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield world, client, event_id, tickets


async def test_a_first_scan_is_200_and_a_second_a_409_naming_the_first(door):
    world, client, event_id, (ticket, _) = door
    path, auth = f"/api/event/{event_id}/check-in", bearer(world, SELLER)
    first = await client.post(path, json={"code": ticket.code, "gate": "North"}, headers=auth)
    assert first.status_code == 200
    body = first.json()
    assert (body["result"], body["gate"], body["ticket"]["seat_position"]) == (
        "checked_in", "North", "1-1")
    assert "code" not in body["ticket"]
    second = await client.post(path, json={"code": ticket.code, "gate": "South"}, headers=auth)
    assert second.status_code == 409
    first_at = world.clock.now().isoformat()
    assert second.json() == {"detail": f"Ticket already checked in at {first_at} (gate North)"}


@pytest.mark.parametrize(("status", "code", "detail"), [
    (IssuedTicketStatus.REFUNDED, 409, "Ticket was refunded"),
    (IssuedTicketStatus.TRANSFERRED, 409, "Ticket was transferred: this code is no longer valid")])
async def test_refused_tickets_get_their_own_answer(door, status, code, detail):
    world, client, event_id, (ticket, _) = door
    world.store.set_status(ticket.id, status)
    response = await client.post(f"/api/event/{event_id}/check-in", json={"code": ticket.code},
                                 headers=bearer(world, SELLER))
    assert (response.status_code, response.json()) == (code, {"detail": detail})


async def test_unknown_codes_other_events_and_strangers(door):
    world, client, event_id, (ticket, _) = door
    auth = bearer(world, SELLER)
    unknown = await client.post(f"/api/event/{event_id}/check-in", json={"code": "zzz"},
                                headers=auth)
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Unknown ticket code"})
    other = await world.event()
    wrong = await client.post(f"/api/event/{other}/check-in", json={"code": ticket.code},
                              headers=auth)
    assert (wrong.status_code, wrong.json()) == (409, {"detail": "Ticket is for another event"})
    stranger = await client.post(f"/api/event/{event_id}/check-in", json={"code": ticket.code},
                                 headers=bearer(world, STAFF))
    assert stranger.status_code == 403
    empty = await client.post(f"/api/event/{event_id}/check-in", json={"code": ""}, headers=auth)
    assert (empty.status_code, empty.json()) == (
        400, {"detail": "code must be 1 to 100 characters"})
    assert len(world.store.scans) == 2


async def test_staff_are_added_listed_and_removed_by_the_seller(door):
    world, client, event_id, (ticket, _) = door
    path, auth = f"/api/event/{event_id}/staff", bearer(world, SELLER)
    added = await client.post(path, json={"email": "gate@staff.io"}, headers=auth)
    assert (added.status_code, added.json()) == (
        201, {"id": 7, "email": "gate@staff.io", "name": "Gil Gate"})
    assert (await client.get(path, headers=auth)).json() == [added.json()]
    scan = await client.post(f"/api/event/{event_id}/check-in", json={"code": ticket.code},
                             headers=bearer(world, STAFF))
    assert scan.status_code == 200
    removed = await client.request("DELETE", path, json={"email": "gate@staff.io"}, headers=auth)
    assert removed.status_code == 204
    again = await client.request("DELETE", path, json={"email": "gate@staff.io"}, headers=auth)
    assert again.status_code == 404
    not_seller = await client.post(path, json={"email": "gate@staff.io"},
                                   headers=bearer(world, STAFF))
    assert not_seller.status_code == 403


async def test_an_offline_upload_answers_each_scan_and_a_replay_says_so(door):
    world, client, event_id, (ticket, _) = door
    scans = [{"code": ticket.code, "nonce": "a", "scanned_at": "2025-12-31T23:50:00+01:00",
              "gate": "G1"},
             {"code": ticket.code, "nonce": "b", "scanned_at": "2025-12-31T23:51:00+01:00",
              "gate": "G2"}]
    path, auth = f"/api/event/{event_id}/check-in/batch", bearer(world, SELLER)
    first = await client.post(path, json=scans, headers=auth)
    assert first.status_code == 200
    results = first.json()["results"]
    assert [(r["nonce"], r["result"], r["replayed"]) for r in results] == [
        ("a", "checked_in", False), ("b", "already_checked_in", False)]
    assert results[1]["detail"].startswith("Ticket already checked in at 2025-12-31T22:50:00")
    replay = (await client.post(path, json=scans, headers=auth)).json()["results"]
    assert [(r["result"], r["replayed"]) for r in replay] == [
        ("checked_in", True), ("already_checked_in", True)]
    assert len(world.store.scans) == 2


@pytest.mark.parametrize("body", [
    [{"code": "c", "nonce": "n", "scanned_at": "2026-01-01T00:00:00", "gate": "G"}],
    [{"code": "c", "nonce": "n", "gate": "G"}], {"code": "c"}, []])
async def test_a_malformed_upload_is_a_400_and_records_nothing(door, body):
    world, client, event_id, _ = door
    response = await client.post(f"/api/event/{event_id}/check-in/batch", json=body,
                                 headers=bearer(world, SELLER))
    assert response.status_code == 400 and response.json()["detail"]
    assert world.store.scans == []


async def test_the_scan_log_and_the_live_counts(door):
    world, client, event_id, (ticket, _) = door
    auth = bearer(world, SELLER)
    await client.post(f"/api/event/{event_id}/check-in", json={"code": ticket.code}, headers=auth)
    await client.post(f"/api/event/{event_id}/check-in", json={"code": "x"}, headers=auth)
    log = (await client.get(f"/api/event/{event_id}/check-ins?limit=1", headers=auth)).json()
    assert (log["total"], [s["result"] for s in log["items"]]) == (2, ["unknown_code"])
    event = (await client.get(f"/api/event/{event_id}")).json()
    assert event["attendance"] == {"checked_in": 1, "sold": 2}
    hidden = await client.get(f"/api/event/{event_id}/check-ins", headers=bearer(world, STAFF))
    assert hidden.status_code == 403
