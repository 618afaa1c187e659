"""The ticket routes over ASGI with fakes: shapes, status codes, QR caching headers
(spec/tickets.md, "Endpoints")."""

import httpx
import pytest

from src.service.ticketing.adapters.qr import SegnoQrRenderer
from src.service.ticketing.domain.user import User
from src.service.ticketing.entrypoints.http import create_app
from test.ticket_fakes import BUYER, OTHER, SELLER, TicketWorld


@pytest.fixture
async def world_and_client():
    world = TicketWorld(qr=SegnoQrRenderer())
    transport = httpx.ASGITransport(app=create_app(world.service, fast_path=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield world, client


def bearer(world: TicketWorld, principal) -> dict:
    user = User(principal.user_id, "x@y.z", "x", principal.role)
    return {"Authorization": f"Bearer {world.service.tokens.issue(user)}"}


async def test_my_tickets_is_a_page_of_tickets_with_event_seat_price_and_status(world_and_client):
    world, client = world_and_client
    event_id = await world.event()
    _, tickets = await world.paid(event_id)
    response = await client.get("/api/ticket/my?limit=1", headers=bearer(world, BUYER))
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["limit"], body["offset"], len(body["items"])) == (2, 1, 0, 1)
    item = body["items"][0]
    assert item["id"] == tickets[1].id and item["code"] == tickets[1].code
    assert (item["seat_position"], item["price"], item["status"]) == ("1-2", 250, "valid")
    assert item["event"] == {"id": event_id, "name": "Show", "venue_name": "Hall"}
    assert item["attendee"] is None


@pytest.mark.parametrize(("query", "detail"), [
    ("limit=0", "limit must be between 1 and 100"), ("offset=-3", "offset must be 0 or more"),
    ("status=lost", "status"), ("event_id=99999999999", "event_id"), ("limit=x", "limit")])
async def test_a_bad_query_is_a_400_with_a_message(world_and_client, query, detail):
    world, client = world_and_client
    response = await client.get(f"/api/ticket/my?{query}", headers=bearer(world, BUYER))
    assert response.status_code == 400 and detail in response.json()["detail"]


async def test_ticket_routes_need_credentials(world_and_client):
    _, client = world_and_client
    for path in ("/api/ticket/my", "/api/ticket/1", "/api/ticket/1/qr.png"):
        response = await client.get(path)
        assert (response.status_code, response.json()) == (401, {"detail": "Not authenticated"})


async def test_another_buyer_gets_404_and_the_seller_no_code(world_and_client):
    world, client = world_and_client
    _, (ticket, _) = await world.paid(await world.event())
    response = await client.get(f"/api/ticket/{ticket.id}", headers=bearer(world, OTHER))
    assert (response.status_code, response.json()) == (404, {"detail": "Ticket not found"})
    seller_view = await client.get(f"/api/ticket/{ticket.id}", headers=bearer(world, SELLER))
    assert seller_view.status_code == 200 and seller_view.json()["code"] is None
    for beyond in (2**63, 2**70, "1.0", "+1", "0"):  # not a bigint id: names nothing
        huge = await client.get(f"/api/ticket/{beyond}", headers=bearer(world, BUYER))
        assert (huge.status_code, huge.json()) == (404, {"detail": "Ticket not found"})


@pytest.mark.parametrize(("suffix", "media_type", "magic"), [
    ("png", "image/png", b"\x89PNG\r\n\x1a\n"), ("svg", "image/svg+xml", b"<?xml")])
async def test_the_qr_image_is_cached_privately_and_revalidated_by_etag(
    world_and_client, suffix, media_type, magic
):
    world, client = world_and_client
    _, (ticket, _) = await world.paid(await world.event())
    path, auth = f"/api/ticket/{ticket.id}/qr.{suffix}", bearer(world, BUYER)
    first = await client.get(path, headers=auth)
    assert first.status_code == 200 and first.headers["content-type"] == media_type
    assert first.content.startswith(magic)
    assert first.headers["cache-control"] == "private, no-cache"
    etag = first.headers["etag"]
    again = await client.get(path, headers=auth | {"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    stale = await client.get(path, headers=auth | {"If-None-Match": '"other"'})
    assert stale.status_code == 200
    refused = await client.get(path, headers=bearer(world, SELLER))
    assert refused.status_code == 403


async def test_the_holder_sets_the_attendee_and_bad_input_is_a_400(world_and_client):
    world, client = world_and_client
    _, (ticket, _) = await world.paid(await world.event())
    path, auth = f"/api/ticket/{ticket.id}/attendee", bearer(world, BUYER)
    bad = await client.put(path, json={"name": "Ann", "email": "ann"}, headers=auth)
    assert (bad.status_code, bad.json()) == (
        400, {"detail": "Attendee email must look like name@example.com"})
    missing = await client.put(path, json={"name": "Ann"}, headers=auth)
    assert missing.status_code == 400 and "email" in missing.json()["detail"]
    good = await client.put(path, json={"name": "Ann", "email": "Ann@x.io"}, headers=auth)
    assert good.status_code == 200
    assert good.json()["attendee"] == {"name": "Ann", "email": "ann@x.io"}
    seller = await client.put(path, json={"name": "S", "email": "s@x.io"},
                              headers=bearer(world, SELLER))
    assert seller.status_code == 403


async def test_a_transfer_answers_the_old_ticket_and_bad_recipients_are_a_400(world_and_client):
    world, client = world_and_client
    world.account(OTHER, "bob@buyer.io")
    _, (ticket, _) = await world.paid(await world.event())
    path, auth = f"/api/ticket/{ticket.id}/transfer", bearer(world, BUYER)
    unknown = await client.post(path, json={"to_email": "nobody@x.io"}, headers=auth)
    assert (unknown.status_code, unknown.json()) == (
        400, {"detail": "No buyer account with this email"})
    done = await client.post(path, json={"to_email": "bob@buyer.io"}, headers=auth)
    assert (done.status_code, done.json()["status"], done.json()["id"]) == (
        200, "transferred", ticket.id)
    again = await client.post(path, json={"to_email": "bob@buyer.io"}, headers=auth)
    assert again.status_code == 400
