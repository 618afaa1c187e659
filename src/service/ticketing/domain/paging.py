"""Pages of a list: `limit` items from `offset` (spec/tickets.md, rule 5)."""

from src.service.ticketing.domain.errors import InvalidRequest

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def check_page(limit: int, offset: int) -> None:
    """`limit` 1–`MAX_LIMIT`, `offset` ≥ 0; raises `InvalidRequest`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise InvalidRequest("offset must be 0 or more")
