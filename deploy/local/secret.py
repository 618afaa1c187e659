#!/usr/bin/env python3
"""The token signing secret of a local data directory, made once and kept (mode 600).

    TICKETING_JWT_SECRET=$(python3 deploy/local/secret.py .local/run/jwt_secret)

Prints the secret on stdout and, on stderr, whether it was just generated or reused. Stdlib
only, like the rest of the local launcher (spec/security.md, "Configuration").
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path


def ensure_secret(path: Path) -> tuple[str, bool]:
    """(secret, created): the secret stored at `path`, or a new random one written there with
    mode 600 when the file is missing or empty."""
    if path.exists() and path.read_text().strip():
        return path.read_text().strip(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    os.chmod(path, 0o600)
    return secret, True


def main() -> None:
    """Command line: the secret file's path."""
    path = Path(sys.argv[1])
    secret, created = ensure_secret(path)
    verb = "generated a random" if created else "using the"
    print(f"[run] {verb} JWT signing secret in {path} (mode 600)", file=sys.stderr)
    print(secret)


if __name__ == "__main__":
    main()
