"""The payment deadline (spec/booking.md, rule 6): per event `hold_seconds` (NULL = no limit,
the default), per booking `expires_at`, and the final booking status `expired`
(`BookingStatus.EXPIRED` in src/service/lifecycle.py).

The reservation service writes `expires_at` when it settles a booking holding seats; the
ticketing service's sweeper finds the due ones through a partial index that holds only
bookings awaiting payment with a deadline, so events without one add no index entries.
Downgrading turns expired bookings into cancelled ones (both let their seats go).

Revision ID: 0007
Revises: 0006
"""

from src.platform.migration_sql import run_script

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE events ADD COLUMN hold_seconds integer,
    ADD CONSTRAINT events_hold_seconds_check CHECK (hold_seconds BETWEEN 30 AND 86400);
ALTER TABLE bookings ADD COLUMN expires_at timestamptz,
    DROP CONSTRAINT bookings_status_check,
    ADD CONSTRAINT bookings_status_check CHECK (status IN (
        'processing', 'pending_payment', 'completed', 'cancelled', 'failed', 'refunded',
        'expired'));
CREATE INDEX bookings_expiry_idx ON bookings (expires_at)
    WHERE status = 'pending_payment' AND expires_at IS NOT NULL
"""

DOWNGRADE = """
DROP INDEX bookings_expiry_idx;
UPDATE bookings SET status = 'cancelled' WHERE status = 'expired';
ALTER TABLE bookings DROP COLUMN expires_at,
    DROP CONSTRAINT bookings_status_check,
    ADD CONSTRAINT bookings_status_check CHECK (status IN (
        'processing', 'pending_payment', 'completed', 'cancelled', 'failed', 'refunded'));
ALTER TABLE events DROP CONSTRAINT events_hold_seconds_check, DROP COLUMN hold_seconds
"""


def upgrade() -> None:
    """Add `events.hold_seconds`, `bookings.expires_at`, the `expired` status and the
    sweeper's index."""
    run_script(UPGRADE)


def downgrade() -> None:
    """Back to revision 0006's schema."""
    run_script(DOWNGRADE)
