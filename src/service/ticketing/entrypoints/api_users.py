"""/api/user: register, log in (cookie + JWT), log out, who am I."""

from fastapi import APIRouter, Response

from src.service.ticketing.domain.user import Role
from src.service.ticketing.entrypoints.deps import Caller, Service
from src.service.ticketing.entrypoints.schemas import LoginRequest, UserCreate, UserOut

router = APIRouter(prefix="/api/user", tags=["user"])


@router.post("", status_code=201)
async def register(body: UserCreate, service: Service) -> UserOut:
    """Create a buyer or seller account."""
    user = await service.register_user(body.email, body.password, body.name, Role(body.role))
    return UserOut.of(user)


@router.post("/login")
async def login(body: LoginRequest, response: Response, service: Service) -> dict:
    """Check the password; set the `fastapiusersauth` cookie and return the token too."""
    user, token = await service.log_in(body.email, body.password)
    settings = service.settings
    response.set_cookie(
        settings.cookie_name, token, max_age=settings.token_ttl_s, httponly=True,
        samesite="lax", secure=settings.secure_cookie,
    )
    return UserOut.of(user).model_dump() | {"access_token": token, "token_type": "bearer"}


@router.post("/logout", status_code=204)
async def logout(caller: Caller, response: Response, service: Service) -> None:
    """End every session of the account: its tokens are refused from now on (by other API
    processes within `TICKETING_SESSION_CACHE_TTL_S`), and the cookie is cleared."""
    await service.log_out(caller)
    settings = service.settings
    response.delete_cookie(settings.cookie_name, httponly=True, samesite="lax",
                           secure=settings.secure_cookie)


@router.get("")
async def me(caller: Caller, service: Service) -> UserOut:
    """The authenticated user."""
    return UserOut.of(await service.get_user(caller.user_id))
