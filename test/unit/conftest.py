"""Fixtures shared by the unit tests of the ticketing HTTP layer."""

import httpx
import pytest

from src.service.ticketing.entrypoints.http import create_app
from test.unit.test_ticketing_use_cases import World


@pytest.fixture(params=[True, False], ids=["fast_path", "route"])
async def world_and_client(request):
    """(a world of fakes, an ASGI client of the app over it), once answered by the booking
    fast path and once by the FastAPI route alone."""
    world = World()
    transport = httpx.ASGITransport(app=create_app(world.service, fast_path=request.param))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield world, client
