"""What the client saw: one `Sample` per booking request, counted as they arrive."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

ACCEPTED = 202
TRANSPORT_ERROR = 0


@dataclass(frozen=True)
class Sample:
    """One POST /api/booking: sent `sent` seconds after the first request, answered after
    `latency` seconds with HTTP `status` (0 = no answer: connection error or timeout)."""

    sent: float
    latency: float
    status: int
    quantity: int
    booking_id: str | None = None


@dataclass
class Recorder:
    """Collects samples and running counts; `origin` is the first request (perf_counter and
    wall clock taken together, so PostgreSQL timestamps can be placed on the same axis)."""

    origin: float = 0.0
    origin_wall: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0
    errors: int = 0
    dropped: int = 0
    early: int = 0  # bookings refused because the sale window had not opened yet

    def start(self, at_wall: float | None = None) -> None:
        """Mark the moment of the first request, or the wall-clock moment `at_wall` (the
        opening of sales in the on-sale mode: requests sent before it have negative times)."""
        now, wall = time.perf_counter(), time.time()
        if at_wall is None:
            self.origin, self.origin_wall = now, wall
        else:
            self.origin, self.origin_wall = now + (at_wall - wall), at_wall

    def now(self) -> float:
        """Seconds since the first request."""
        return time.perf_counter() - self.origin

    def add(self, sample: Sample) -> None:
        """Record one answered (or failed) request."""
        self.samples.append(sample)
        if sample.status == ACCEPTED:
            self.accepted += 1
        elif sample.status == TRANSPORT_ERROR or sample.status >= 500:
            self.errors += 1
        else:
            self.rejected += 1

    def accepted_ids(self) -> list[str]:
        """Ids of every booking the server accepted (HTTP 202)."""
        return [s.booking_id for s in self.samples if s.status == ACCEPTED and s.booking_id]
