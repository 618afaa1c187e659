"""Sessions are revocable and accounts can be disabled.

`users.token_version` is written into every token a user gets; raising it (logout, password
change) revokes all of them. `users.is_active = false` shuts an account out (its tokens and
its logins are refused). Both are read per user with a short in-process cache
(spec/security.md, "Sessions").

Revision ID: 0005
Revises: 0004
"""

from src.platform.migration_sql import run_script

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN is_active boolean NOT NULL DEFAULT true
"""

DOWNGRADE = """
ALTER TABLE users DROP COLUMN is_active;
ALTER TABLE users DROP COLUMN token_version
"""


def upgrade() -> None:
    run_script(UPGRADE)


def downgrade() -> None:
    run_script(DOWNGRADE)
