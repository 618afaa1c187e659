"""FastAPI dependencies: the wired service and the authenticated caller."""

from typing import Annotated

from fastapi import Depends, Request

from src.service.ticketing.bootstrap import Ticketing
from src.service.ticketing.domain.errors import NotAuthenticated
from src.service.ticketing.domain.user import Principal


async def ticketing(request: Request) -> Ticketing:
    """The wired service stored on the app at start-up."""
    return request.app.state.ticketing


def authenticate(service: Ticketing, cookie: str | None, authorization: str) -> Principal:
    """The caller, from the session cookie's token or an `Authorization: Bearer` header (the
    header wins); raises `NotAuthenticated` (401)."""
    token = cookie
    scheme, _, bearer = authorization.partition(" ")
    if scheme.lower() == "bearer" and bearer:
        token = bearer
    if not token:
        raise NotAuthenticated("Not authenticated")
    user_id, role = service.tokens.read(token)
    return Principal(user_id=user_id, role=role)


async def principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated caller of this request (401 otherwise)."""
    service: Ticketing = request.app.state.ticketing
    return authenticate(service, request.cookies.get(service.settings.cookie_name),
                        request.headers.get("authorization", ""))


Service = Annotated[Ticketing, Depends(ticketing)]
Caller = Annotated[Principal, Depends(principal)]
