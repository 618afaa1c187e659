"""The exact rules for what a request may carry (spec/security.md, "Input rules").

Every integer fits the PostgreSQL column it ends up in (ids 1..2^31-1, other numbers int32);
no text field carries NUL or another control character (a description may have tabs and line
breaks); types are strict (no `true` for 1, no `"1"` for 1); every JSON body is parsed by the
one parser, pydantic's, so a broken one always gets `errors.MALFORMED_JSON`. Path parameters
that fail these rules name nothing, so they are answered 404 (`errors.py`).

Each rule is also written into the OpenAPI document (bounds as `minimum`/`maximum`, the
control characters as a `pattern`), so the document allows exactly what these types accept
(spec/security.md, "OpenAPI").
"""

import re
from datetime import datetime
from typing import Annotated, Any, TypeVar

from email_validator import EmailNotValidError, validate_email
from fastapi import Depends, Path, Query, Request
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)
from pydantic import Strict as PydanticStrict
from pydantic.json_schema import GetJsonSchemaHandler, JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.paging import MAX_LIMIT

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
MAX_ID = INT32_MAX
MAX_BIG_ID = 2**63 - 1  # bigserial ids: issued tickets (migration 0004)
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


class Documented:
    """`Annotated` metadata that adds JSON-schema keywords to a type's schema without changing
    how it validates: for rules a validator function checks, which pydantic cannot describe."""

    def __init__(self, **keywords: object) -> None:
        self.keywords = keywords

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The schema pydantic makes, with these keywords added."""
        return handler(schema) | self.keywords


# The control characters `_CONTROL` and `_CONTROL_BUT_LINES` refuse, as JSON-schema patterns.
NO_CONTROL = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
NO_CONTROL_BUT_LINES = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
Text = Annotated[str, AfterValidator(_no_control), Documented(pattern=NO_CONTROL)]
# An e-mail address: its `format: email` (in the fields that use it) already rules the
# control characters out, and a pattern beside it would only slow down schema-driven tests.
EmailText = Annotated[str, AfterValidator(_no_control)]
Paragraph = Annotated[  # tabs, line breaks
    str, AfterValidator(_no_control_but_lines), Documented(pattern=NO_CONTROL_BUT_LINES)]


def _integral(value: object) -> object:
    """A JSON number with a zero fraction (`2.0`) is the integer it names, as JSON Schema's
    `integer` (the OpenAPI document's type) has it; anything else goes on to the strict
    integer check (so `2.5`, `true` and `"2"` are still refused)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_integral)]
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX), BeforeValidator(_integral)]
# RFC 3339's date-time (the document's `format: date-time`), which pydantic alone would widen
# to other ISO 8601 forms and to Unix times ("0.5"). Without its offset it is left to
# `AwareDatetime`, whose message says the time zone is missing.
_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
                      r"([Zz]|[+-][0-9]{2}:[0-9]{2})?")


def _rfc3339(value: object) -> object:
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    raise PydanticCustomError(
        "datetime_parsing", "Input should be an RFC 3339 date-time with its offset")


# Not strict: after the check above, the text is a Python string, which a strict datetime
# refuses; the check lets nothing else through.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339), PydanticStrict(False)]


def _decimal(value: object) -> object:
    """Integers in a URL are written in decimal digits: no "1.0", "+1", " 1" or "1_0"."""
    if isinstance(value, str) and not _DECIMAL.fullmatch(value):
        raise PydanticCustomError("int_parsing", "Input should be a decimal integer")
    return value


_DECIMAL = re.compile(r"-?[0-9]{1,10}")
_BIG_DECIMAL = re.compile(r"[0-9]{1,19}")


def _big_decimal(value: object) -> object:
    """A bigint id in a URL: decimal digits only, as `_decimal`."""
    if isinstance(value, str) and not _BIG_DECIMAL.fullmatch(value):
        raise PydanticCustomError("int_parsing", "Input should be a decimal integer")
    return value

# Path parameters (404 when out of range, see `errors.NOT_FOUND_IN_PATH`) and queries (400).
# The bounds come before the decimal check: after it, FastAPI would write them into the
# document as `ge`/`le`, which JSON Schema does not know, instead of `minimum`/`maximum`.
BigId = Annotated[int, Field(ge=1, le=MAX_BIG_ID)]  # paths only: a URL has no `2.0`
EventIdPath = Annotated[Id, BeforeValidator(_decimal), Path()]
SectionPath = Annotated[str, Path(max_length=20)]
SubsectionPath = Annotated[Int32, BeforeValidator(_decimal), Path()]
TicketIdPath = Annotated[BigId, BeforeValidator(_big_decimal), Path()]
IdQuery = Annotated[Annotated[Id, BeforeValidator(_decimal)] | None, Query()]
# Page bounds are int32 here; the use case names the page rule (`domain/paging.py`), which
# the document shows.
LimitQuery = Annotated[
    Int32, BeforeValidator(_decimal), Documented(minimum=1, maximum=MAX_LIMIT), Query()]
OffsetQuery = Annotated[Int32, BeforeValidator(_decimal), Documented(minimum=0), Query()]


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
    the body itself, so FastAPI would not). Nested models are written in place: a `$defs`
    reference would point nowhere in the OpenAPI document (ReDoc fails on it)."""
    schema = model.model_json_schema()
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": _inlined(schema, schema.pop("$defs", {}))}}}}


def _inlined(node: Any, defs: dict[str, Any]) -> Any:
    """`node` with every `{"$ref": "#/$defs/X"}` replaced by X's schema (request models are
    not recursive)."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return _inlined(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inlined(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inlined(item, defs) for item in node]
    return node


def email_address(text: str) -> str:
    """`text` as a syntactically valid e-mail address (email-validator, no DNS lookups; the
    `.test` domains of RFC 2606 allowed, for load tests); raises `InvalidRequest`."""
    try:
        return validate_email(text, check_deliverability=False, test_environment=True).normalized
    except EmailNotValidError:
        raise InvalidRequest("Invalid email address") from None
