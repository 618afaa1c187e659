"""What the OpenAPI document shows of the request bodies (spec/security.md, "OpenAPI"): one
example for each, all of them accepted as they stand (`test_openapi.py` sends them), and the
seating configuration's shape, which the domain's layout parser checks
(`domain/seating.py`)."""

from typing import Any

from src.service.ticketing.domain.seating import (
    MAX_COLS,
    MAX_PRICE,
    MAX_ROWS,
    MAX_SUBSECTIONS,
)


def _int(upper: int, lower: int = 1) -> dict[str, Any]:
    return {"type": "integer", "minimum": lower, "maximum": upper}


SEATING_CONFIG: dict[str, Any] = {
    "title": "SeatingConfig",
    "description": "Every subsection of every section has rows × cols seats, "
                   "at most 200,000 seats in the event (and TICKETING_MAX_SEATS_PER_EVENT).",
    "type": "object",
    "required": ["rows", "cols", "sections"],
    "properties": {
        "rows": _int(MAX_ROWS),
        "cols": _int(MAX_COLS),
        "sections": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["name", "price", "subsections"],
            "properties": {
                "name": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,20}$"},
                "price": _int(MAX_PRICE, 0),
                "subsections": _int(MAX_SUBSECTIONS),
            },
        }},
    },
}
LAYOUT = {"rows": 10, "cols": 20, "sections": [{"name": "A", "price": 3000, "subsections": 2}]}
USER = {"email": "ann@example.com", "password": "bright-orange-kite", "name": "Ann",
        "role": "buyer"}
LOGIN = {"email": "ann@example.com", "password": "bright-orange-kite"}
PASSWORD_CHANGE = {"current_password": "bright-orange-kite",
                   "new_password": "quiet-violet-harbour"}
EVENT = {"name": "Spring concert", "description": "Doors open at 19:00.",
         "venue_name": "Hall 1", "seating_config": LAYOUT, "is_active": True}
BOOKING = {"event_id": 1, "section": "A", "subsection": 1, "quantity": 2,
           "seat_selection_mode": "manual", "seat_positions": ["1-1", "1-2"]}


def examples(*bodies: dict[str, Any]) -> dict[str, Any]:
    """A model's `json_schema_extra` with these examples."""
    return {"examples": list(bodies)}
