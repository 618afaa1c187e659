"""A booking's create Idempotency-Key becomes a column of the booking (spec/architecture.md,
guarantee 9; spec/decisions.md, "Idempotency keys live next to what they guard").

`bookings.idempotency_key` (NULL without a key) with a partial unique index on (buyer_id,
idempotency_key): the group commit claims a key with the booking's own INSERT … ON CONFLICT DO
NOTHING, so a keyed booking costs one row and one index entry instead of a second table row
and its indexes. The key counts from the booking's `created_at`. Pay and cancel keys stay in
`idempotency_keys`. Upgrade moves every create key whose booking exists into its booking
(create keys of vanished bookings stay, so they keep answering 409 until the relay purges
them); downgrade moves the column's keys back (where the same buyer and key also hold a pay or
cancel row, the newer one stays) and drops the column.

Revision ID: 0011
Revises: 0010
"""

from src.platform.migration_sql import run_script

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE bookings ADD COLUMN idempotency_key text;
UPDATE bookings b SET idempotency_key = k.key
    FROM idempotency_keys k
    WHERE k.operation = 'create' AND k.booking_id = b.id AND k.buyer_id = b.buyer_id;
DELETE FROM idempotency_keys k USING bookings b
    WHERE k.operation = 'create' AND b.id = k.booking_id AND b.buyer_id = k.buyer_id
      AND b.idempotency_key = k.key;
CREATE UNIQUE INDEX bookings_idempotency_key_idx ON bookings (buyer_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL
"""

DOWNGRADE = """
INSERT INTO idempotency_keys AS k (buyer_id, key, operation, booking_id, created_at)
    SELECT buyer_id, idempotency_key, 'create', id, created_at FROM bookings
    WHERE idempotency_key IS NOT NULL
    ON CONFLICT (buyer_id, key) DO UPDATE
    SET operation = EXCLUDED.operation, booking_id = EXCLUDED.booking_id,
        created_at = EXCLUDED.created_at
    WHERE k.created_at < EXCLUDED.created_at;
DROP INDEX bookings_idempotency_key_idx;
ALTER TABLE bookings DROP COLUMN idempotency_key
"""


def upgrade() -> None:
    """Add `bookings.idempotency_key` and its index; move the create keys into it."""
    run_script(UPGRADE)


def downgrade() -> None:
    """Move the column's keys back into `idempotency_keys`; back to revision 0010's schema."""
    run_script(DOWNGRADE)
