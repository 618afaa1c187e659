"""FastAPI dependencies: the wired service and the authenticated caller."""

from typing import Annotated

from fastapi import Depends, Request

from src.service.ticketing.bootstrap import Ticketing
from src.service.ticketing.domain.errors import NotAuthenticated
from src.service.ticketing.domain.user import Principal


async def ticketing(request: Request) -> Ticketing:
    """The wired service stored on the app at start-up."""
    return request.app.state.ticketing


async def principal(request: Request) -> Principal:
    """The caller, from the `fastapiusersauth` cookie or an `Authorization: Bearer` header;
    raises `NotAuthenticated` (401)."""
    service: Ticketing = request.app.state.ticketing
    token = request.cookies.get(service.settings.cookie_name)
    scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and bearer:
        token = bearer
    if not token:
        raise NotAuthenticated("Not authenticated")
    user_id, role = service.tokens.read(token)
    return Principal(user_id=user_id, role=role)


Service = Annotated[Ticketing, Depends(ticketing)]
Caller = Annotated[Principal, Depends(principal)]
