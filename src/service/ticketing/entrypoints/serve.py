"""The launcher of the ticketing API: one command for every start script (`make run`,
`make bench`, the Dockerfile, docker-compose.yml, the e2e tier, the fault suite), which
starts uvicorn or Granian with the same settings (spec/performance.md, "Servers and the listen
backlog").

    TICKETING_SERVER=granian TICKETING_PORT=8000 python -m src.service.ticketing.entrypoints.serve

Both servers get from `settings.ServerSettings`: the worker processes, the address, the listen
backlog (with a warning when the kernel caps it lower), the idle keep-alive close, uvloop,
HTTP/1.1 only, no access log, and `X-Forwarded-For` honoured from the trusted proxies only, so
that `credentials.client_address` is the same under both. Each worker runs the app's lifespan
(clients, relays, the SSE hub, the open-file limit); SIGTERM stops them gracefully.
"""

import logging
import signal
from collections.abc import Callable
from importlib.util import find_spec
from types import FrameType

from sse_starlette.sse import AppStatus
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from src.platform.logging import configure as configure_logging
from src.platform.runtime import listen_backlog_cap
from src.service.ticketing.settings import ServerSettings

log = logging.getLogger(__name__)

APP = "src.service.ticketing.entrypoints.http:create_app"
GRANIAN_APP = "src.service.ticketing.entrypoints.serve:proxied_app"


def backlog_warning(backlog: int, cap: int | None) -> str | None:
    """The warning to log when the listen `backlog` asked for exceeds the kernel's `cap`
    (`net.core.somaxconn`; None: unknown), else None."""
    if cap is None or backlog <= cap:
        return None
    return (f"listen_backlog_capped backlog={backlog} somaxconn={cap}: the kernel queues at "
            f"most {cap} connections; raise net.core.somaxconn (root) or lower "
            "TICKETING_BACKLOG")


def proxied_app() -> ProxyHeadersMiddleware:
    """The app as Granian serves it (an app factory, one call per worker): `X-Forwarded-For`
    and `X-Forwarded-Proto` from `TICKETING_FORWARDED_ALLOW_IPS` become the client address and
    scheme, by uvicorn's own middleware, as uvicorn does it for itself; the SSE streams end
    when the worker is told to stop (`StreamsEndOnStop`)."""
    from src.service.ticketing.entrypoints.http import create_app

    trusted = ServerSettings().trusted_proxies
    app = StreamsEndOnStop(create_app())
    return ProxyHeadersMiddleware(app, trusted_hosts=trusted)  # type: ignore[arg-type]


class StreamsEndOnStop:
    """ASGI wrapper for Granian's workers: at lifespan start-up (once Granian has set up its
    own signal handling) SIGTERM and SIGINT also tell sse-starlette to end every open stream
    (`AppStatus.should_exit`), as it does by itself under uvicorn. Granian's graceful stop
    waits for every open response, and an SSE stream never ends on its own, so without this a
    worker with a stream open never reached its lifespan shutdown."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass every scope on; a lifespan scope first chains the signal handlers."""
        if scope["type"] == "lifespan":
            for number in (signal.SIGTERM, signal.SIGINT):
                signal.signal(number, _ending_streams(signal.getsignal(number)))
        await self.app(scope, receive, send)


def _ending_streams(previous: object) -> Callable[[int, FrameType | None], None]:
    """A signal handler that ends the SSE streams, then calls `previous` if it is callable.
    The event loop still hears the signal through its wake-up descriptor either way."""

    def handler(number: int, frame: FrameType | None) -> None:
        AppStatus.should_exit = True
        if callable(previous):
            previous(number, frame)
    return handler


def uvicorn_options(settings: ServerSettings) -> dict:
    """`uvicorn.run`'s keyword arguments for `settings` (httptools as the HTTP/1.1 parser where
    installed, else h11)."""
    return dict(
        factory=True, host=settings.host, port=settings.port, workers=settings.workers,
        backlog=settings.backlog, timeout_keep_alive=settings.keep_alive_s, loop="uvloop",
        http="httptools" if find_spec("httptools") else "h11", ws="none", lifespan="on",
        access_log=False, proxy_headers=True, forwarded_allow_ips=settings.trusted_proxies,
        log_level=settings.log_level,
    )


def granian_options(settings: ServerSettings) -> dict:
    """`granian.Granian`'s keyword arguments for `settings`: ASGI with its lifespan, HTTP/1.1
    only, no websockets, a killed worker replaced (as uvicorn's supervisor does). Granian has
    no idle keep-alive timeout of its own; its header-read timeout (milliseconds), set to
    `keep_alive_s`, also closes a connection that sends no next request within that time."""
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    return dict(
        factory=True, address=settings.host, port=settings.port, interface=Interfaces.ASGI,
        workers=settings.workers, backlog=settings.backlog, loop=Loops.uvloop,
        http=HTTPModes.http1, websockets=False,
        http1_settings=HTTP1Settings(header_read_timeout=settings.keep_alive_s * 1000),
        log_access=False, log_level=LogLevels(settings.log_level), respawn_failed_workers=True,
    )


def serve(settings: ServerSettings) -> None:
    """Run the server `settings.server` names until it stops (SIGTERM, SIGINT)."""
    if settings.server == "granian":
        from granian import Granian

        Granian(GRANIAN_APP, **granian_options(settings)).serve()
    else:
        import uvicorn

        uvicorn.run(APP, **uvicorn_options(settings))


def main() -> None:
    """Start the server `TICKETING_SERVER` names; returns when it has stopped."""
    configure_logging()
    settings = ServerSettings()
    warning = backlog_warning(settings.backlog, listen_backlog_cap())
    if warning:
        log.warning(warning)
    log.info("server_start server=%s workers=%d backlog=%d address=%s:%d", settings.server,
             settings.workers, settings.backlog, settings.host, settings.port)
    serve(settings)


if __name__ == "__main__":
    main()
