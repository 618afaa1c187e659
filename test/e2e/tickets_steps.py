"""Helpers of tickets.feature: a buyer's tickets by seat, through HTTP only."""

from __future__ import annotations

from test.e2e.helpers import Actor, expect
from test.e2e.scene import Scene


def my_tickets(scene: Scene, actor: Actor, **params) -> list[dict]:
    """Every ticket `actor` holds on the scene's event (one page of 100)."""
    query = {"event_id": scene.event["id"], "limit": 100} | params
    page = expect(scene.client.get("/api/ticket/my", params=query, headers=actor.headers), 200)
    return page["items"]


def ticket_for(scene: Scene, actor: Actor, seat: str, status: str = "valid") -> dict:
    """The ticket `actor` holds for `seat` in `status`."""
    found = [t for t in my_tickets(scene, actor, status=status) if t["seat_position"] == seat]
    assert len(found) == 1, f"{actor.name} holds {found} for {seat}"
    return found[0]
