"""A ticket admitted at the door may still be refunded when its event is cancelled
(spec/tickets.md, rule 19, `lifecycle.REFUND_CANCELLED`), and it keeps the time it was
admitted: `checked_in_at` is set exactly when the ticket is `checked_in`, or `refunded` after
a check-in (before, it was set exactly when `checked_in`). The scan log keeps every attempt
either way.

Revision ID: 0009
Revises: 0008
"""

from src.platform.migration_sql import run_script

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE issued_tickets DROP CONSTRAINT issued_tickets_check1;
ALTER TABLE issued_tickets ADD CONSTRAINT issued_tickets_checked_in_at_check CHECK (
    CASE status WHEN 'checked_in' THEN checked_in_at IS NOT NULL
                WHEN 'refunded' THEN true
                ELSE checked_in_at IS NULL END)
"""

DOWNGRADE = """
UPDATE issued_tickets SET checked_in_at = NULL, checked_in_gate = NULL
    WHERE status = 'refunded' AND checked_in_at IS NOT NULL;
ALTER TABLE issued_tickets DROP CONSTRAINT issued_tickets_checked_in_at_check;
ALTER TABLE issued_tickets ADD CONSTRAINT issued_tickets_check1
    CHECK ((checked_in_at IS NOT NULL) = (status = 'checked_in'))
"""


def upgrade() -> None:
    """Let a refunded ticket keep the time it was checked in."""
    run_script(UPGRADE)


def downgrade() -> None:
    """Back to `checked_in_at` only on `checked_in` tickets (a refunded one forgets it)."""
    run_script(DOWNGRADE)
