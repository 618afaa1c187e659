"""Who is calling: the one place that reads credentials from a request (spec/architecture.md,
"HTTP conventions"; spec/security.md, "Sessions")."""

from collections.abc import Awaitable, Callable

from starlette.requests import cookie_parser
from starlette.types import Scope

from src.service.ticketing.domain.errors import NotAuthenticated
from src.service.ticketing.domain.user import Principal


def bearer_or_cookie(scope: Scope, cookie_name: str) -> str | None:
    """The session token of an ASGI request: `Authorization: Bearer …` wins over the
    `cookie_name` cookie; None when neither is there."""
    cookie, authorization = "", ""
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == b"cookie":
            cookie = value.decode("latin-1")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token
    return cookie_parser(cookie).get(cookie_name) if cookie else None


async def authenticate(
    sessions: Callable[[str], Awaitable[Principal]], scope: Scope, cookie_name: str
) -> Principal:
    """The caller of an ASGI request, as `sessions` (the `Authenticate` use case) finds the
    request's token; raises `NotAuthenticated` (401)."""
    token = bearer_or_cookie(scope, cookie_name)
    if not token:
        raise NotAuthenticated("Not authenticated")
    return await sessions(token)


def client_address(scope: Scope) -> str:
    """The client's address as the server saw it (behind a proxy: what uvicorn's
    `--proxy-headers` makes of `X-Forwarded-For` from trusted proxies); "" when unknown."""
    client = scope.get("client")
    return str(client[0]) if client else ""
