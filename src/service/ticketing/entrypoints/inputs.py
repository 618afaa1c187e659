"""The exact rules for what a request may carry (spec/security.md, "Input rules").

Every integer fits the PostgreSQL column it ends up in (ids 1..2^31-1, other numbers int32);
no text field carries NUL or another control character (a description may have tabs and line
breaks); types are strict (no `true` for 1, no `"1"` for 1); every JSON body is parsed by the
one parser, pydantic's, so a broken one always gets `errors.MALFORMED_JSON`. Path parameters
that fail these rules name nothing, so they are answered 404 (`errors.py`).
"""

import re
from typing import Annotated, Any, TypeVar

from email_validator import EmailNotValidError, validate_email
from fastapi import Depends, Path, Query, Request
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from src.service.ticketing.domain.errors import InvalidRequest

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
MAX_ID = INT32_MAX
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError("control_character", "must not contain control characters")
    return value


def _no_control_but_lines(value: str) -> str:
    if _CONTROL_BUT_LINES.search(value):
        raise PydanticCustomError("control_character", "must not contain control characters")
    return value


Text = Annotated[str, AfterValidator(_no_control)]
Paragraph = Annotated[str, AfterValidator(_no_control_but_lines)]  # tabs, line breaks
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]



def _decimal(value: object) -> object:
    """Integers in a URL are written in decimal digits: no "1.0", "+1", " 1" or "1_0"."""
    if isinstance(value, str) and not _DECIMAL.fullmatch(value):
        raise PydanticCustomError("int_parsing", "Input should be a decimal integer")
    return value


_DECIMAL = re.compile(r"-?[0-9]{1,10}")
# Path parameters (404 when out of range, see `errors.NOT_FOUND_IN_PATH`) and queries (400).
EventIdPath = Annotated[int, BeforeValidator(_decimal), Path(ge=1, le=MAX_ID)]
SectionPath = Annotated[str, Path(max_length=20)]
SubsectionPath = Annotated[int, BeforeValidator(_decimal), Path(ge=INT32_MIN, le=INT32_MAX)]
IdQuery = Annotated[int | None, BeforeValidator(_decimal), Query(ge=1, le=MAX_ID)]


class Strict(BaseModel):
    """Base of the request bodies: strict types, and the input rules of this module."""

    model_config = ConfigDict(strict=True)


M = TypeVar("M", bound=BaseModel)


def json_body(model: type[M]) -> Any:
    """A dependency: the request's body parsed as `model` by pydantic's JSON parser (like
    the booking fast path's); raises `pydantic.ValidationError` (400)."""
    async def parse(request: Request) -> M:
        return model.model_validate_json(await request.body())
    return Depends(parse)


def documented(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` that documents `model` as the route's JSON body (`json_body` reads
    the body itself, so FastAPI would not)."""
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": model.model_json_schema()}}}}


def email_address(text: str) -> str:
    """`text` as a syntactically valid e-mail address (email-validator, no DNS lookups; the
    `.test` domains of RFC 2606 allowed, for load tests); raises `InvalidRequest`."""
    try:
        return validate_email(text, check_deliverability=False, test_environment=True).normalized
    except EmailNotValidError:
        raise InvalidRequest("Invalid email address") from None
