"""Seat-map generation per subsection, for the self-healing seat map.

The reservation service advances `subsection_stats.seat_map_gen` in the same transaction as
each batch it records for the subsection (a compare-and-set), and by one with every rebuild;
the seat map in Kvrocks keeps its own number (`gen:{tag}`), and a seat map whose generation
disagrees is rebuilt from the tickets table (spec/architecture.md, guarantee 7).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE subsection_stats ADD COLUMN seat_map_gen bigint NOT NULL DEFAULT 0"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE subsection_stats DROP COLUMN seat_map_gen")
