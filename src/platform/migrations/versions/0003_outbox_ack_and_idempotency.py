"""The outbox records the broker's ack; idempotency keys for safe retries.

`bookings.command_acked` is set once the broker acknowledged a booking's BookingCreated, so the
relay re-sends only commands that were never acknowledged (spec/architecture.md, guarantee 8).
`idempotency_keys` remembers, per buyer, which booking a key's request created or acted on
(guarantee 9).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE bookings ADD COLUMN command_acked boolean NOT NULL DEFAULT false;
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
ALTER TABLE bookings DROP COLUMN command_acked
"""


def _run(script: str) -> None:
    for statement in script.split(";\n"):
        if statement.strip():
            op.execute(statement)


def upgrade() -> None:
    _run(UPGRADE)


def downgrade() -> None:
    _run(DOWNGRADE)
