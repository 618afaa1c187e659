"""Running a migration's SQL script (src/platform/migrations/versions/)."""

from alembic import op


def run_script(script: str) -> None:
    """Execute `script` one statement at a time: asyncpg prepares each statement, so a script
    cannot go in one call. Statements end with ";" and a newline (a function or trigger body
    written without that inside stays whole)."""
    for statement in script.split(";\n"):
        if statement.strip():
            op.execute(statement)
