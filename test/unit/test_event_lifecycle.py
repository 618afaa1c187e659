"""The event lifecycle over HTTP with fakes (spec/tickets.md, rule 18): created as draft or
on sale, moved by its seller, only `on_sale` takes bookings; the per-process layout cache sees
a status change within its TTL; an optional IANA time zone."""

import asyncio
from dataclasses import replace

import httpx
import pytest

from src.service.lifecycle import (
    CANCEL_EVENT,
    EVENT_TRANSITIONS,
    EventStatus,
    event_transition_to,
)
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.entrypoints.http import create_app
from test.ticket_fakes import BUYER, LAYOUT, SELLER, TicketWorld
from test.unit.test_http_tickets import bearer

SHOW = {"name": "Show", "seating_config": LAYOUT}
BOOK = {"section": "A", "subsection": 1, "quantity": 1, "seat_selection_mode": "best_available",
        "seat_positions": []}


@pytest.fixture
async def world_and_client():
    world = TicketWorld()
    transport = httpx.ASGITransport(app=create_app(world.service, fast_path=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield world, client


async def create(world, client, **body) -> httpx.Response:
    return await client.post("/api/event", json=SHOW | body, headers=bearer(world, SELLER))


async def move(world, client, event_id, status, who=SELLER) -> httpx.Response:
    return await client.post(f"/api/event/{event_id}/status", json={"status": status},
                             headers=bearer(world, who))


async def book(world, client, event_id) -> httpx.Response:
    return await client.post("/api/booking", json=BOOK | {"event_id": event_id},
                             headers=bearer(world, BUYER))


def test_every_status_is_reachable_and_cancel_comes_from_every_state_before_ended():
    reached = {EventStatus.DRAFT, EventStatus.ON_SALE} | {t.target for t in EVENT_TRANSITIONS}
    assert reached == set(EventStatus)
    assert set(CANCEL_EVENT.sources) == set(EventStatus) - {EventStatus.ENDED,
                                                            EventStatus.CANCELLED}
    final = {s for s in EventStatus if not any(t.allows(s) for t in EVENT_TRANSITIONS)}
    assert final == {EventStatus.ENDED, EventStatus.CANCELLED}
    assert event_transition_to(EventStatus.ON_SALE, EventStatus.CANCELLED) is None


async def test_an_event_is_on_sale_by_default_and_takes_bookings(world_and_client):
    world, client = world_and_client
    event = (await create(world, client)).json()
    assert event["status"] == "on_sale"
    assert (await book(world, client, event["id"])).status_code == 202


async def test_a_draft_refuses_bookings_until_it_is_published(world_and_client):
    world, client = world_and_client
    created = await create(world, client, status="draft")
    assert (created.status_code, created.json()["status"]) == (201, "draft")
    event_id = created.json()["id"]
    refused = await book(world, client, event_id)
    assert (refused.status_code, refused.json()) == (400, {"detail": "Event is not on sale"})
    assert world.store.bookings == {} and world.publisher.sent == []
    published = await move(world, client, event_id, "on_sale")
    assert (published.status_code, published.json()["status"]) == (200, "on_sale")
    accepted = await book(world, client, event_id)
    assert accepted.status_code == 202
    assert list(world.store.bookings) == [world.publisher.sent[0].booking_id]


async def test_a_closed_or_ended_event_refuses_bookings(world_and_client):
    world, client = world_and_client
    event_id = (await create(world, client)).json()["id"]
    assert (await move(world, client, event_id, "closed")).json()["status"] == "closed"
    assert (await book(world, client, event_id)).json() == {"detail": "Event is not on sale"}
    assert (await move(world, client, event_id, "ended")).json()["status"] == "ended"
    assert (await book(world, client, event_id)).status_code == 400
    assert world.store.bookings == {}


@pytest.mark.parametrize(("start", "asked", "status", "detail"), [
    ("draft", "closed", 400, "An event cannot go from draft to closed"),
    ("on_sale", "draft", 400, "An event cannot go from on_sale to draft"),
    ("on_sale", "ended", 400, "An event cannot go from on_sale to ended"),
    ("on_sale", "sold_out", 400, "Unknown event status 'sold_out'"),
    ("on_sale", "cancelled", 400, "An event is cancelled with POST /api/event/{id}/cancel"),
])
async def test_a_move_the_lifecycle_has_not_is_a_400_and_changes_nothing(
    world_and_client, start, asked, status, detail
):
    world, client = world_and_client
    event_id = (await create(world, client, status=start)).json()["id"]
    answer = await move(world, client, event_id, asked)
    assert answer.status_code == status
    assert answer.json()["detail"].startswith(detail)
    assert world.store.events[event_id].status is EventStatus(start)


async def test_asking_for_the_current_status_changes_nothing(world_and_client):
    world, client = world_and_client
    event_id = (await create(world, client)).json()["id"]
    assert (await move(world, client, event_id, "on_sale")).status_code == 200
    assert world.store.events[event_id].status is EventStatus.ON_SALE


async def test_only_the_seller_moves_the_event_and_an_unknown_event_is_404(world_and_client):
    world, client = world_and_client
    event_id = (await create(world, client, status="draft")).json()["id"]
    buyer = await move(world, client, event_id, "on_sale", who=BUYER)
    assert (buyer.status_code, buyer.json()) == (
        403, {"detail": "Only the seller of this event can change it"})
    assert (await move(world, client, 999, "on_sale")).status_code == 404
    assert world.store.events[event_id].status is EventStatus.DRAFT


@pytest.mark.parametrize("status", ["closed", "ended", "cancelled", "bogus"])
async def test_an_event_is_created_only_as_draft_or_on_sale(world_and_client, status):
    world, client = world_and_client
    answer = await create(world, client, status=status)
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("An event is created as draft or on_sale")
    assert world.store.events == {}


async def test_a_publish_that_loses_to_a_close_between_read_and_write_is_judged_again(
    world_and_client
):
    world, client = world_and_client
    event_id = (await create(world, client, status="draft")).json()["id"]

    def published_and_closed_meanwhile():
        world.store.events[event_id] = replace(world.store.events[event_id],
                                               status=EventStatus.CLOSED)

    world.store.between_read_and_write = published_and_closed_meanwhile
    answer = await move(world, client, event_id, "on_sale")
    assert (answer.status_code, answer.json()) == (
        400, {"detail": "An event cannot go from closed to on_sale"})
    assert world.store.events[event_id].status is EventStatus.CLOSED


async def test_a_time_zone_is_an_iana_name_set_on_create_and_patch(world_and_client):
    world, client = world_and_client
    event = (await create(world, client, timezone="Europe/Vienna")).json()
    assert event["timezone"] == "Europe/Vienna"
    headers = bearer(world, SELLER)
    kept = await client.patch(f"/api/event/{event['id']}", json={"refunds_enabled": False},
                              headers=headers)
    assert kept.json()["timezone"] == "Europe/Vienna"
    changed = await client.patch(f"/api/event/{event['id']}", json={"timezone": "Asia/Tokyo"},
                                 headers=headers)
    assert changed.json()["timezone"] == "Asia/Tokyo"
    bad = await client.patch(f"/api/event/{event['id']}", json={"timezone": "Mars/Olympus"},
                             headers=headers)
    assert (bad.status_code, bad.json()["detail"]) == (
        400, "Unknown time zone 'Mars/Olympus': expected an IANA name such as 'Europe/Vienna'")
    assert world.store.events[event["id"]].terms.timezone == "Asia/Tokyo"
    refused = await create(world, client, timezone="../etc/passwd")
    assert refused.status_code == 400 and len(world.store.events) == 1


class SlowUow:
    """A world's unit of work that yields to the loop on entry, like a real round trip."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __aenter__(self):
        await asyncio.sleep(0)
        return await self.inner.__aenter__()

    async def __aexit__(self, *exc):
        return await self.inner.__aexit__(*exc)


class CountingUow:
    """Counts how often a world's unit of work is opened."""

    def __init__(self, world: TicketWorld) -> None:
        self.world, self.reads = world, 0

    def __call__(self):
        self.reads += 1
        return SlowUow(self.world.uow())


async def test_the_layout_cache_sees_another_process_status_change_within_its_ttl():
    world = TicketWorld()
    event_id = await world.event()
    now = [100.0]
    counted = CountingUow(world)
    layouts = EventLayouts(counted, status_ttl_s=1.0, monotonic=lambda: now[0])
    assert (await layouts(event_id)).on_sale
    world.store.events[event_id] = replace(world.store.events[event_id],
                                           status=EventStatus.CLOSED)  # another process
    now[0] += 0.5
    assert (await layouts(event_id)).on_sale and counted.reads == 1
    now[0] += 0.6
    assert not (await layouts(event_id)).on_sale and counted.reads == 2


async def test_concurrent_lookups_of_an_expired_entry_share_one_read():
    world = TicketWorld()
    event_id = await world.event()
    counted = CountingUow(world)
    layouts = EventLayouts(counted, status_ttl_s=0.0)
    events = await asyncio.gather(*(layouts(event_id) for _ in range(50)))
    assert {e.id for e in events} == {event_id} and counted.reads == 1
