"""Set-up of a run through the API: a seller, fresh events, buyers logged in once."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from deploy.loadtest.api import Api

PASSWORD = "load-test-password"
SETUP_PARALLEL = 8  # logins hash passwords (argon2): a few at a time is as fast as it gets


@dataclass(frozen=True)
class Stage:
    """What the load phase needs: the events (all of one layout) and one bearer token per
    buyer."""

    event_ids: list[int]
    config: dict
    tokens: list[str]
    opens_at: float | None = None  # the sales window's start (epoch seconds), when set

    @property
    def event_id(self) -> int:
        """The first event (the only one, except in a sustained run larger than one event)."""
        return self.event_ids[0]


def rules(args) -> dict:
    """The on-sale fields every event of a run is created with (spec/booking.md, rules 6 and
    10–12): a per-buyer limit, a payment deadline, and a sale window open from a minute ago
    for a day, each only when asked for."""
    fields: dict = {}
    if args.max_tickets_per_buyer is not None:
        fields["max_tickets_per_buyer"] = args.max_tickets_per_buyer
    if args.hold_seconds is not None:
        fields["hold_seconds"] = args.hold_seconds
    if args.sales_window:
        now = datetime.now(UTC)
        fields["sales_start"] = (now - timedelta(minutes=1)).isoformat()
        fields["sales_end"] = (now + timedelta(days=1)).isoformat()
    return fields


async def prepare(
    api: Api, run_id: str, config: dict, buyers: int, events: int = 1,
    rules: dict | None = None, on_sale_in: float | None = None,
) -> Stage:
    """Create the seller and `events` events of layout `config` with the on-sale `rules`
    fields, their sales opening `on_sale_in` seconds from now when given, then register and
    log in `buyers` buyers."""
    seller = await api.account(f"lt-{run_id}-seller@load.test", PASSWORD, "seller")
    rules = dict(rules or {})
    opens_at = None if on_sale_in is None else time.time() + on_sale_in
    if opens_at is not None:
        rules["sales_start"] = datetime.fromtimestamp(opens_at, UTC).isoformat()
    event_ids: list[int] = []
    for i in range(events):  # one at a time: each writes up to 200,000 ticket rows
        name = f"load test {run_id}" + (f" #{i + 1}" if i else "")
        event_ids.append((await api.create_event(seller, name, config, rules))["id"])
    limit = asyncio.Semaphore(SETUP_PARALLEL)

    async def buyer(i: int) -> str:
        async with limit:
            return await api.account(f"lt-{run_id}-b{i}@load.test", PASSWORD, "buyer")

    tokens = await asyncio.gather(*(buyer(i) for i in range(buyers)))
    return Stage(event_ids=event_ids, config=config, tokens=list(tokens), opens_at=opens_at)
