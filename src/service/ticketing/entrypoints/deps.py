"""FastAPI dependencies: the wired service and the authenticated caller."""

from typing import Annotated

from fastapi import Depends, Request

from src.service.ticketing.bootstrap import Ticketing
from src.service.ticketing.domain.user import Principal
from src.service.ticketing.entrypoints.credentials import authenticate


async def ticketing(request: Request) -> Ticketing:
    """The wired service stored on the app at start-up."""
    service: Ticketing = request.app.state.ticketing
    return service


async def principal(request: Request) -> Principal:
    """The authenticated caller of this request (401 otherwise)."""
    service: Ticketing = request.app.state.ticketing
    return await authenticate(service.authenticate, request.scope,
                              service.settings.cookie_name)


Service = Annotated[Ticketing, Depends(ticketing)]
Caller = Annotated[Principal, Depends(principal)]
