"""The outbox records the broker's ack; idempotency keys for safe retries.

`bookings.command_acked` is set once the broker acknowledged a booking's BookingCreated, so the
relay re-sends only commands that were never acknowledged (spec/architecture.md, guarantee 8).
The relay's index on `processing` rows is narrowed to the unacknowledged ones, so a consumer
outage (many processing rows, all acknowledged) does not make each sweep scan them; the settle
deadline gets its own partial index on `created_at`. `idempotency_keys` remembers, per buyer,
which booking a key's request created or acted on (guarantee 9); expired rows are found by
`created_at`.

Revision ID: 0003
Revises: 0002
"""

from src.platform.migration_sql import run_script

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE bookings ADD COLUMN command_acked boolean NOT NULL DEFAULT false;
DROP INDEX bookings_processing_idx;
CREATE INDEX bookings_unacked_idx ON bookings (updated_at)
    WHERE status = 'processing' AND NOT command_acked;
CREATE INDEX bookings_deadline_idx ON bookings (created_at) WHERE status = 'processing';
CREATE TABLE idempotency_keys (
    buyer_id   integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key        text NOT NULL,
    operation  text NOT NULL,
    booking_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (buyer_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)
"""

DOWNGRADE = """
DROP TABLE idempotency_keys;
DROP INDEX bookings_deadline_idx;
DROP INDEX bookings_unacked_idx;
CREATE INDEX bookings_processing_idx ON bookings (updated_at) WHERE status = 'processing';
ALTER TABLE bookings DROP COLUMN command_acked
"""


def upgrade() -> None:
    """Add `command_acked`, the outbox and deadline indexes, and `idempotency_keys`."""
    run_script(UPGRADE)


def downgrade() -> None:
    """Back to revision 0002's schema."""
    run_script(DOWNGRADE)
