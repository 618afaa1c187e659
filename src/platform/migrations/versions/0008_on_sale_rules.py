"""On-sale rules (spec/booking.md, rules 10–12): an event's sale window (`sales_start`,
`sales_end`, both optional; half-open) and its per-buyer limits (`max_tickets_per_buyer`,
NULL = none; `one_open_booking_per_buyer`, off). Every default keeps the behaviour from
before. The limits are counted from `bookings` itself, through the existing index
`bookings_buyer_idx (buyer_id, event_id)`, so no table is added.

Revision ID: 0008
Revises: 0007
"""

from src.platform.migration_sql import run_script

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE events
    ADD COLUMN sales_start timestamptz,
    ADD COLUMN sales_end timestamptz,
    ADD COLUMN max_tickets_per_buyer integer
        CONSTRAINT events_max_tickets_per_buyer_check CHECK (max_tickets_per_buyer >= 1),
    ADD COLUMN one_open_booking_per_buyer boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT events_sales_window_check CHECK (sales_end > sales_start);
"""

DOWNGRADE = """
ALTER TABLE events DROP CONSTRAINT events_sales_window_check,
    DROP COLUMN one_open_booking_per_buyer, DROP COLUMN max_tickets_per_buyer,
    DROP COLUMN sales_end, DROP COLUMN sales_start;
"""


def upgrade() -> None:
    run_script(UPGRADE)


def downgrade() -> None:
    run_script(DOWNGRADE)
