"""HTTP hardening of every request, the booking fast path's included: security headers on
every response, and JSON bodies that say they are JSON, stay small and arrive in time
(spec/security.md, "HTTP" and "Timeouts").

A pure ASGI middleware, outermost of the app's own, so that `fast_path.BookingFastPath`'s
answers get the same treatment as the routes'. Per request it costs a scan of the request
headers on the JSON routes, reading their body under a deadline (handed on from memory), and
a copy of the response header list.
"""

import asyncio
import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from src.service.ticketing.entrypoints.deadlines import Deadline, Deadlines

# The routes whose body is a JSON document (path templates, without a trailing slash).
JSON_ROUTES = frozenset({
    ("POST", "/api/user"), ("POST", "/api/user/login"), ("POST", "/api/user/password"),
    ("POST", "/api/event"), ("POST", "/api/booking"), ("PATCH", "/api/event/{event_id}"),
    ("PUT", "/api/ticket/{ticket_id}/attendee"), ("POST", "/api/ticket/{ticket_id}/transfer"),
    ("POST", "/api/event/{event_id}/staff"), ("DELETE", "/api/event/{event_id}/staff"),
    ("POST", "/api/event/{event_id}/check-in"), ("POST", "/api/event/{event_id}/check-in/batch"),
    ("POST", "/api/event/{event_id}/status"),
})
_PARAMETER = re.compile(r"\\\{[a-z_]+\\\}")  # `{event_id}` once escaped
_JSON_PATHS = re.compile("|".join(
    method + " " + _PARAMETER.sub("[^/]+", re.escape(path)) for method, path in JSON_ROUTES))


def is_json_route(method: str, path: str) -> bool:
    """Whether `method path` (a concrete path) is one of `JSON_ROUTES`."""
    return _JSON_PATHS.fullmatch(f"{method} {path.rstrip('/')}") is not None


MAX_BODY_BYTES = 64 * 1024  # an event's layout with a thousand sections fits
UNSUPPORTED = (415, "Content-Type must be application/json")
TOO_LARGE = (413, "Request body too large")
TOO_SLOW = (408, "Request body not received in time")
_CLOSE = [(b"connection", b"close")]  # uvicorn closes the connection after such an answer

_API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# /docs and /redoc load Swagger UI and ReDoc from this server (the fastapi-offline package's
# copies, under DOCS_ASSETS) and start them with an inline script; nothing else on those pages
# comes from users, and nothing comes from another host.
DOCS_ASSETS = "/docs-assets"
_DOCS_CSP = (
    b"default-src 'none'; script-src 'self' 'unsafe-inline'; "
    b"style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    b"connect-src 'self'; worker-src blob:; frame-ancestors 'none'; "
    b"base-uri 'none'; form-action 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
_COMMON = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"referrer-policy", b"no-referrer")]
API_HEADERS = (*_COMMON, (b"content-security-policy", _API_CSP))
DOCS_HEADERS = (*_COMMON, (b"content-security-policy", _DOCS_CSP))
NO_STORE = (b"cache-control", b"no-store")


class Hardening:
    """ASGI middleware: adds the security headers (and `Cache-Control: no-store` where the
    response sets no caching of its own) to every HTTP response; answers 415 to a JSON route
    without a JSON content type, 413 to a body over `MAX_BODY_BYTES`, and 408 (closing the
    connection) when the whole body has not arrived `TICKETING_BODY_TIMEOUT_S` after the
    headers, all before the app sees the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._deadlines = Deadlines()
        self._body_timeout_s = 0.0  # read from the settings at the first JSON request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then pass it on with a `send` that adds the headers."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = DOCS_HEADERS if scope["path"] in DOCS_PATHS else API_HEADERS

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                for name, _ in headers:  # ASGI header names are lower case
                    if name == b"cache-control":
                        break
                else:
                    headers.append(NO_STORE)
                headers += extra
                message["headers"] = headers
            await send(message)

        if is_json_route(scope["method"], scope["path"]):
            refusal = _refusal(scope)
            if refusal is None:
                deadline = self._deadlines.arm(self._body_timeout_s or self._timeout(scope))
                refusal, receive = await _read_body(receive, deadline, self._deadlines)
            if refusal is not None:
                await _answer(send_hardened, *refusal)
                return
        await self.app(scope, receive, send_hardened)

    def _timeout(self, scope: Scope) -> float:
        """`TICKETING_BODY_TIMEOUT_S`, from the service's settings (fixed for the process)."""
        self._body_timeout_s = scope["app"].state.ticketing.settings.body_timeout_s
        return self._body_timeout_s


def _refusal(scope: Scope) -> tuple[int, str] | None:
    """What to answer instead of the app, from the request headers alone; None to go on."""
    content_type, length = b"", None
    for name, value in scope["headers"]:
        if name == b"content-type":
            content_type = value
        elif name == b"content-length":
            length = value
    if content_type.partition(b";")[0].strip().lower() != b"application/json":
        return UNSUPPORTED
    if length is None:  # chunked: `_read_body` counts
        return None
    return TOO_LARGE if not length.isdigit() or int(length) > MAX_BODY_BYTES else None


async def _read_body(
    receive: Receive, deadline: Deadline, deadlines: Deadlines
) -> tuple[tuple[int, str] | None, Receive]:
    """(refusal or None, the receive to pass on): the body is read here, up to the bound and
    before `deadline` (a client that sent the headers and then too little is refused), and
    handed on from memory."""
    body, more = b"", True
    try:
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY_BYTES:
                return TOO_LARGE, receive
    except asyncio.CancelledError:
        if not deadlines.expired(deadline):
            raise
        return TOO_SLOW, receive
    finally:
        deadlines.disarm(deadline)
    return None, _replay(body, receive)


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` that hands out `body` first, then whatever the connection sends next."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}
    return replay


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *(_CLOSE if status == TOO_SLOW[0] else ()),
    ]})
    await send({"type": "http.response.body", "body": body})
