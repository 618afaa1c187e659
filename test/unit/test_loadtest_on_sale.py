"""The load tool's on-sale mode (spec/booking.md, rule 10): buyers send before the window
opens, are refused, retry at the opening, and the report's clock starts there (a fake API,
no I/O)."""

import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from deploy.loadtest.cli import parser
from deploy.loadtest.fixtures import Stage, rules
from deploy.loadtest.recorder import ACCEPTED
from deploy.loadtest.spike import SpikeLimits, sellout
from deploy.loadtest.targets import SOLD_OUT, Pool, layout, targets_of


class WindowApi:
    """Refuses every booking before `opens_at` as the API does, then sells `seats` per
    subsection; records when each booking arrived."""

    def __init__(self, opens_at: float, seats: int):
        self.opens_at, self.seats = opens_at, seats
        self.taken: Counter = Counter()
        self.early_at: list[float] = []

    async def book(self, token, event_id, section, subsection, quantity):
        if time.time() < self.opens_at:
            self.early_at.append(time.time())
            return 400, {"detail": "Sales have not started: they open at 2026-01-01T00:00:00Z"}
        key = (event_id, section, subsection)
        if self.seats - self.taken[key] < quantity:
            return 400, {"detail": SOLD_OUT}
        self.taken[key] += quantity
        return ACCEPTED, {"id": f"b{sum(self.taken.values())}"}


async def test_early_bookings_wait_for_the_opening_and_times_start_there():
    config = layout(2, 2, 2, 5)
    opens_at = time.time() + 0.3
    api = WindowApi(opens_at, seats=10)
    stage = Stage([7], config, [f"t{i}" for i in range(8)], opens_at=opens_at)
    pool = Pool(targets_of(stage.event_ids, config), 1, 1)
    rec = await sellout(api, stage, pool, SpikeLimits(8, 10.0, 1000), random.Random(1))
    assert rec.early == len(api.early_at) == 8  # one early try per worker, then they wait
    assert sum(api.taken.values()) == 40 and rec.accepted == 40
    accepted = [s for s in rec.samples if s.status == ACCEPTED]
    assert min(s.sent for s in accepted) >= -0.005  # sent from the opening on
    before = [s for s in rec.samples if s.sent < 0]
    assert len(before) == 8 and {s.status for s in before} == {400}
    assert abs(rec.origin_wall - opens_at) < 1e-6


def test_the_options_of_the_on_sale_mode_and_of_the_limits():
    args = parser().parse_args(["sellout", "--on-sale-in", "5", "--max-tickets-per-buyer", "60"])
    assert (args.on_sale_in, rules(args)) == (5.0, {"max_tickets_per_buyer": 60})
    assert rules(parser().parse_args(["sustained"])) == {}


def test_every_rule_on_creates_events_with_a_deadline_and_an_open_window():
    args = parser().parse_args(["sustained", "--max-tickets-per-buyer", "10000",
                                "--hold-seconds", "900", "--sales-window"])
    fields = rules(args)
    assert (fields["max_tickets_per_buyer"], fields["hold_seconds"]) == (10000, 900)
    start, end = (datetime.fromisoformat(fields[k]) for k in ("sales_start", "sales_end"))
    now = datetime.now(UTC)
    assert start < now < end and end - start > timedelta(hours=23)
