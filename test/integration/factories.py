"""Small factories that write rows straight into PostgreSQL for adapter-level tests.

End-to-end tests never use these: they go through HTTP like a buyer or seller would.
"""

import json
import uuid

import asyncpg


async def insert_user(conn: asyncpg.Connection, role: str = "buyer") -> int:
    """A user with a unique e-mail; returns its id."""
    email = f"{role}-{uuid.uuid4().hex[:12]}@test.example"
    return await conn.fetchval(
        "INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, 'x', $3) "
        "RETURNING id",
        email, email.split("@")[0], role,
    )


async def insert_event(
    conn: asyncpg.Connection, seller_id: int, rows: int, cols: int,
    sections: tuple[tuple[str, int, int], ...] = (("A", 1000, 1),),
) -> int:
    """An event whose sections are (name, price, subsections); one available ticket per seat."""
    config = {
        "rows": rows, "cols": cols,
        "sections": [{"name": n, "price": p, "subsections": s} for n, p, s in sections],
    }
    event_id = await conn.fetchval(
        "INSERT INTO events (seller_id, name, seating_config) VALUES ($1, 'test', $2::jsonb) "
        "RETURNING id",
        seller_id, json.dumps(config),
    )
    records = [
        (event_id, name, sub, r, c, price)
        for name, price, subs in sections
        for sub in range(1, subs + 1)
        for r in range(1, rows + 1)
        for c in range(1, cols + 1)
    ]
    await conn.copy_records_to_table(
        "tickets", records=records,
        columns=["event_id", "section", "subsection", "row", "seat", "price"],
    )
    await conn.executemany(
        "INSERT INTO subsection_stats (event_id, section, subsection, total, available) "
        "VALUES ($1, $2, $3, $4, $4)",
        [(event_id, n, s, rows * cols) for n, _, subs in sections for s in range(1, subs + 1)],
    )
    return event_id
