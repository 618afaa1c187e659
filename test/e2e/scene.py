"""What one scenario has set up so far, and how a buyer brings a booking into a given state."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from test.e2e.helpers import FINAL, Actor, book, expect, seat_map, sign_up, wait_for_status
from test.e2e.processes import Service
from test.e2e.sse import SseListener


@dataclass
class Scene:
    """Steps read and extend it; `reservation` is the consumer process (to stall it)."""

    client: httpx.Client
    reservation: Service
    seller: Actor | None = None
    event: dict | None = None
    actors: dict[str, Actor] = field(default_factory=dict)
    bookings: list[tuple[str, str]] = field(default_factory=list)  # (owner, booking id)
    response: httpx.Response | None = None
    listeners: dict[str, SseListener] = field(default_factory=dict)
    notes: dict = field(default_factory=dict)  # anything else one feature needs to remember

    @property
    def booking(self) -> str:
        """The latest accepted booking."""
        return self.bookings[-1][1]

    @property
    def owner(self) -> Actor:
        """The buyer of the latest accepted booking."""
        return self.actors[self.bookings[-1][0]]

    def booking_of(self, name: str) -> str:
        return [b for owner, b in self.bookings if owner == name][-1]

    def submit(self, name: str, **request) -> httpx.Response:
        """POST a booking as `name`; a 202 is remembered as their latest booking."""
        self.response = book(self.client, self.actors[name], self.event["id"], **request)
        if self.response.status_code == 202:
            self.bookings.append((name, self.response.json()["id"]))
        return self.response

    def settled(self, name: str, expected: str, **request) -> dict:
        """A booking by `name` that the reservation service has settled as `expected`."""
        booking_id = expect(self.submit(name, **request), 202)["id"]
        booking = wait_for_status(self.client, self.actors[name], booking_id, FINAL)
        assert booking["status"] == expected, booking
        return booking


def make_booking(scene: Scene, name: str, status: str) -> None:
    """A one-seat booking of `name` brought into `status` the way a buyer would get there."""
    client, buyer = scene.client, scene.actors[name]
    if status == "processing":  # the reservation service has not picked it up yet
        scene.reservation.pause()
        expect(scene.submit(name, quantity=1), 202)
    elif status == "failed":  # someone else asked for the same seat just before
        scene.actors.setdefault("rival", sign_up(client, "buyer", "rival"))
        seat = next(p for p, s in seat_map(client, scene.event["id"]).items() if s == "available")
        scene.reservation.pause()
        expect(scene.submit("rival", seats=[seat]), 202)
        booking_id = expect(scene.submit(name, seats=[seat]), 202)["id"]
        scene.reservation.resume()
        assert wait_for_status(client, buyer, booking_id, FINAL)["status"] == "failed"
    else:
        booking_id = scene.settled(name, "pending_payment", quantity=1)["id"]
        if status == "completed":
            expect(client.post(f"/api/booking/{booking_id}/pay", headers=buyer.headers), 200)
        elif status == "cancelled":
            expect(client.patch(f"/api/booking/{booking_id}", headers=buyer.headers), 200)
        else:
            assert status == "pending_payment", f"unknown status {status}"
