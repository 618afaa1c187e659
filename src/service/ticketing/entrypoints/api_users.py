"""/api/user: register, log in (cookie + JWT), log out, change password, who am I
(spec/security.md)."""

from fastapi import APIRouter, Request, Response

from src.service.ticketing.bootstrap import Ticketing
from src.service.ticketing.domain.user import Role, User
from src.service.ticketing.entrypoints.credentials import client_address
from src.service.ticketing.entrypoints.deps import Caller, Service
from src.service.ticketing.entrypoints.inputs import documented, email_address, json_body
from src.service.ticketing.entrypoints.schemas import (
    LoginRequest,
    PasswordChange,
    UserCreate,
    UserOut,
)

router = APIRouter(prefix="/api/user", tags=["user"])


def _session(service: Ticketing, response: Response, user: User, token: str) -> dict:
    """Set the session cookie (`HttpOnly`, `SameSite=Lax`, `Secure` outside development) and
    return the user with the token."""
    settings = service.settings
    response.set_cookie(
        settings.cookie_name, token, max_age=settings.token_ttl_s, httponly=True,
        samesite="lax", secure=settings.secure_cookie,
    )
    return UserOut.of(user).model_dump() | {"access_token": token, "token_type": "bearer"}


@router.post("", status_code=201, openapi_extra=documented(UserCreate))
async def register(
    request: Request, service: Service, body: UserCreate = json_body(UserCreate)
) -> UserOut:
    """Create a buyer or seller account."""
    email = email_address(body.email)
    user = await service.register_user(email, body.password, body.name, Role(body.role),
                                       client_address(request.scope))
    return UserOut.of(user)


@router.post("/login", openapi_extra=documented(LoginRequest))
async def login(request: Request, response: Response, service: Service,
                body: LoginRequest = json_body(LoginRequest)) -> dict:
    """Check the password; set the `fastapiusersauth` cookie and return the token too."""
    user, token = await service.log_in(body.email, body.password,
                                       client_address(request.scope))
    return _session(service, response, user, token)


@router.post("/logout", status_code=204)
async def logout(caller: Caller, response: Response, service: Service) -> None:
    """End every session of the account: its tokens are refused from now on (by other API
    processes within `TICKETING_SESSION_CACHE_TTL_S`), and the cookie is cleared."""
    await service.log_out(caller)
    settings = service.settings
    response.delete_cookie(settings.cookie_name, httponly=True, samesite="lax",
                           secure=settings.secure_cookie)


@router.post("/password", openapi_extra=documented(PasswordChange))
async def change_password(
    caller: Caller, response: Response, service: Service,
    body: PasswordChange = json_body(PasswordChange),
) -> dict:
    """Replace the password: every other session ends, this one gets a new token (and
    cookie)."""
    user, token = await service.change_password(caller, body.current_password,
                                                body.new_password)
    return _session(service, response, user, token)


@router.get("")
async def me(caller: Caller, service: Service) -> UserOut:
    """The authenticated user."""
    return UserOut.of(await service.get_user(caller.user_id))
