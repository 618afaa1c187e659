"""Set-up of a run through the API: a seller, a fresh event, buyers logged in once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from deploy.loadtest.api import Api

PASSWORD = "load-test-password"
SETUP_PARALLEL = 8  # logins hash passwords (argon2): a few at a time is as fast as it gets


@dataclass(frozen=True)
class Stage:
    """What the load phase needs: the event, its layout and one bearer token per buyer."""

    event_id: int
    config: dict
    tokens: list[str]


async def prepare(api: Api, run_id: str, config: dict, buyers: int) -> Stage:
    """Create the seller and the event, then register and log in `buyers` buyers."""
    seller = await api.account(f"lt-{run_id}-seller@load.test", PASSWORD, "seller")
    event = await api.create_event(seller, f"load test {run_id}", config)
    limit = asyncio.Semaphore(SETUP_PARALLEL)

    async def buyer(i: int) -> str:
        async with limit:
            return await api.account(f"lt-{run_id}-b{i}@load.test", PASSWORD, "buyer")

    tokens = await asyncio.gather(*(buyer(i) for i in range(buyers)))
    return Stage(event_id=event["id"], config=config, tokens=list(tokens))
