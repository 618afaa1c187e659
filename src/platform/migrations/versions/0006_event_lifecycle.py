"""Event lifecycle: `draft → on_sale → closed → ended`, and `cancelled` before `ended`
(spec/tickets.md, rules 18–19; the statuses are `EventStatus` in src/service/lifecycle.py).

The old statuses map onto the new ones: `available` → `on_sale`, `sold_out` → `closed` (it
took no bookings), `ended` stays. New events default to `on_sale`, as before. Events get an
optional IANA `timezone`. A partial index finds cancelled events for the relay's sweep.

Numbered 0006 but chained to 0004: the security migration 0005 is re-chained by the lead.

Revision ID: 0006
Revises: 0005
"""

from src.platform.migration_sql import run_script

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE events DROP CONSTRAINT events_status_check;
UPDATE events SET status = CASE status WHEN 'available' THEN 'on_sale'
                                       WHEN 'sold_out' THEN 'closed' ELSE status END;
ALTER TABLE events ALTER COLUMN status SET DEFAULT 'on_sale',
    ADD CONSTRAINT events_status_check
        CHECK (status IN ('draft', 'on_sale', 'closed', 'ended', 'cancelled')),
    ADD COLUMN timezone text;
CREATE INDEX events_cancelled_idx ON events (id) WHERE status = 'cancelled';
"""

DOWNGRADE = """
DROP INDEX events_cancelled_idx;
ALTER TABLE events DROP CONSTRAINT events_status_check, DROP COLUMN timezone;
UPDATE events SET status = CASE status WHEN 'on_sale' THEN 'available'
                                       WHEN 'draft' THEN 'available'
                                       WHEN 'closed' THEN 'sold_out' ELSE 'ended' END;
ALTER TABLE events ALTER COLUMN status SET DEFAULT 'available',
    ADD CONSTRAINT events_status_check CHECK (status IN ('available', 'sold_out', 'ended'));
"""


def upgrade() -> None:
    run_script(UPGRADE)


def downgrade() -> None:
    run_script(DOWNGRADE)
