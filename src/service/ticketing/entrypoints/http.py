"""HTTP entrypoint: the FastAPI app factory, with the error table's handlers, the last-resort
handler (500 with a request id) and the outbox and refund relays as background tasks.

Run with `python -m src.service.ticketing.entrypoints.serve` (uvicorn or Granian, `serve.py`).
"""

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp

from src.platform.logging import configure as configure_logging
from src.platform.runtime import freeze_startup_heap
from src.service.ticketing.bootstrap import Ticketing, running
from src.service.ticketing.entrypoints import (
    api_bookings,
    api_door,
    api_events,
    api_refunds,
    api_tickets,
    api_users,
    sse,
)
from src.service.ticketing.entrypoints.asgi import LastResort
from src.service.ticketing.entrypoints.background import sweeping
from src.service.ticketing.entrypoints.errors import HANDLED, error_response
from src.service.ticketing.entrypoints.fast_path import BookingFastPath
from src.service.ticketing.entrypoints.hardening import DOCS_ASSETS, Hardening
from src.service.ticketing.entrypoints.methods import NOT_ALLOWED, FixedPaths, Resources
from src.service.ticketing.entrypoints.openapi import exact_openapi
from src.service.ticketing.entrypoints.refund_relay import refund_relay
from src.service.ticketing.settings import TicketingSettings

log = logging.getLogger(__name__)


def _resources(app: FastAPI) -> Callable[[], Resources]:
    """The documented methods of each path, made once from the document on first use."""
    made: list[Resources] = []

    def resources() -> Resources:
        if not made:
            made.append(Resources(app.openapi()["paths"]))
        return made[0]
    return resources


def _install_error_handlers(app: FastAPI, resources: Callable[[], Resources]) -> None:
    async def handled(_: Request, exc: Exception) -> JSONResponse:
        """The error table's answer for `exc` (spec/architecture.md, "HTTP conventions")."""
        status, body, headers = error_response(exc)
        return JSONResponse(body, status, headers=headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        """The framework's own answers (404 for no route, 405, …); a 405 names every method
        of its documented path (`methods.Resources`)."""
        assert isinstance(exc, HTTPException)
        allow = resources().allowed(request.scope["path"])
        if exc.status_code == NOT_ALLOWED and allow is not None:
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers={"Allow": allow})
        return await http_exception_handler(request, exc)

    for kind in HANDLED:
        app.add_exception_handler(kind, handled)
    app.add_exception_handler(HTTPException, http_error)


@asynccontextmanager
async def _running(app: FastAPI) -> AsyncIterator[None]:
    """Lifespan of the real app: open PostgreSQL, Kvrocks and Kafka, run the outbox relay,
    the refund relay and the expiry sweeper; `ticketing_stopped` is logged once all of them
    and the clients (the SSE hub's pub/sub connection among them) are closed."""
    configure_logging()
    async with running() as wired, refund_relay(wired), sweeping(
            "outbox", wired.relay_outbox, wired.settings.outbox_interval_s), sweeping(
            "expiry", wired.expire_holds, wired.settings.expiry_interval_s):
        app.state.ticketing = wired
        freeze_startup_heap(wired.settings.gc_threshold0)
        log.info("ticketing_started")
        yield
    log.info("ticketing_stopped")


@asynccontextmanager
async def _given(_: FastAPI) -> AsyncIterator[None]:
    """Lifespan of an app over a service the caller built (tests): nothing to open."""
    yield


def _in_front(app: FastAPI, fast_path: bool, resources: Callable[[], Resources]) -> None:
    """Put the hardening middleware and the booking fast path in front of the framework's
    own middleware (its error, telemetry and body-limit layers), so a booking pays for none
    of them (spec/performance.md, "Session of 2026-12-02"); every other request goes through
    the hardening, the fixed paths' method check (`methods.FixedPaths`) and then the
    framework as usual."""
    build = app.build_middleware_stack

    def built() -> ASGIApp:
        framework = FixedPaths(build(), resources)
        return Hardening(BookingFastPath(framework) if fast_path else framework)

    app.build_middleware_stack = built  # type: ignore[method-assign]


def telemetry(on: bool) -> dict:
    """FastAPI's `telemetry` configuration: its defaults (spans, metrics and logs through the
    global OpenTelemetry providers) when `on` (`TICKETING_TELEMETRY`), else all three off, so
    no request pays for looking the providers up."""
    return {} if on else {"tracing": False, "metrics": False, "logs": False}


def create_app(service: Ticketing | None = None, fast_path: bool = True) -> FastAPI:
    """The ticketing API. Without `service`, the lifespan opens PostgreSQL, Kvrocks and Kafka
    from the environment and runs the outbox relay; tests may pass a service built from fakes.
    `fast_path=False` leaves `POST /api/booking` to its FastAPI route."""
    lifespan = _running if service is None else _given
    settings = service.settings if service is not None else TicketingSettings()
    # /docs and /redoc load Swagger UI and ReDoc from the fastapi-offline package, not a CDN.
    app = FastAPIOffline(title="Seat ticketing", version="0.1.0", lifespan=lifespan,
                         static_url=DOCS_ASSETS, telemetry=telemetry(settings.telemetry))
    resources = _resources(app)
    _install_error_handlers(app, resources)
    app.add_middleware(LastResort)
    _in_front(app, fast_path, resources)
    app.openapi = exact_openapi(app)  # type: ignore[method-assign]
    if service is not None:
        app.state.ticketing = service
    for module in (api_users, api_events, api_bookings, sse, api_tickets, api_door, api_refunds):
        app.include_router(module.router)

    @app.get("/health", tags=["ops"])
    async def health() -> dict:
        return {"status": "ok"}

    return app
