"""405 answers that name every method of the resource (RFC 9110, 15.5.6; spec/security.md,
"HTTP"), from the OpenAPI document's paths, which `openapi.py` keeps equal to the routes.

Starlette answers a method no route of a path has with the `Allow` of the first route that
matched the path alone (`GET` for `/api/event/{id}`, though `PATCH` is there too), and a fixed
path such as `/api/booking/my_booking` is also a value of the templated route beside it
(`PATCH /api/booking/{booking_id}`), so a method only the template has reached the template
(and got 404 `Booking not found`). Here a fixed path is its own resource, checked before the
router (`FixedPaths`), and every 405 lists the methods of its path (`Resources.allowed`).
"""

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

NOT_ALLOWED = 405
NOT_ALLOWED_DETAIL = "Method Not Allowed"
_PARAMETER = re.compile(r"\\\{[^/]+?\\\}")  # `{event_id}` once escaped


class Resources:
    """The methods of each documented path: fixed paths by their text, templated ones by a
    pattern (a parameter is one path segment)."""

    def __init__(self, paths: Mapping[str, Mapping[str, Any]]) -> None:
        self.fixed: dict[str, frozenset[str]] = {}
        self.templated: list[tuple[re.Pattern[str], frozenset[str]]] = []
        for path, operations in paths.items():
            methods = frozenset(m.upper() for m in operations)
            if "{" in path:
                pattern = re.compile(_PARAMETER.sub("[^/]+", re.escape(path)))
                self.templated.append((pattern, methods))
            else:
                self.fixed[path] = methods

    def allowed(self, path: str) -> str | None:
        """`Allow` for `path`: a fixed path's methods, else those of every template it
        matches; None when no documented path matches."""
        methods = self.fixed.get(path)
        if methods is None:
            matching = [m for pattern, m in self.templated if pattern.fullmatch(path)]
            methods = frozenset().union(*matching) if matching else None
        return None if methods is None else ", ".join(sorted(methods))


class FixedPaths:
    """ASGI middleware in front of the router: a request for a fixed documented path with a
    method the path has not is answered 405 with the path's `Allow`, instead of reaching a
    templated route that would take the path as a parameter's value. `resources` is called
    on the first request (the document is complete only once every route is in)."""

    def __init__(self, app: ASGIApp, resources: Callable[[], Resources]) -> None:
        self.app = app
        self.resources = resources

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 405 for a fixed path's foreign method; pass everything else on."""
        if scope["type"] == "http":
            methods = self.resources().fixed.get(scope["path"])
            if methods is not None and scope["method"] not in methods:
                await _answer(send, ", ".join(sorted(methods)))
                return
        await self.app(scope, receive, send)


async def _answer(send: Send, allow: str) -> None:
    body = json.dumps({"detail": NOT_ALLOWED_DETAIL}).encode()
    await send({"type": "http.response.start", "status": NOT_ALLOWED, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"allow", allow.encode()),
    ]})
    await send({"type": "http.response.body", "body": body})
