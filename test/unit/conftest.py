"""Fixtures shared by the unit tests of the ticketing HTTP layer."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from src.service.ticketing.entrypoints.http import create_app
from test.unit.test_ticketing_use_cases import World


@asynccontextmanager
async def client_of(
    world, fast_path: bool = True
) -> AsyncIterator[tuple[object, httpx.AsyncClient]]:
    """(world, an ASGI client of the app over `world.service`), the booking fast path on or
    off."""
    transport = httpx.ASGITransport(app=create_app(world.service, fast_path=fast_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield world, client


@pytest.fixture(params=[True, False], ids=["fast_path", "route"])
async def world_and_client(request):
    """(a world of fakes, an ASGI client of the app over it), once answered by the booking
    fast path and once by the FastAPI route alone."""
    async with client_of(World(), request.param) as pair:
        yield pair
