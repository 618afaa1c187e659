"""Schemathesis hooks of the e2e tier's run (`test_schemathesis.py`), loaded by `st` through
`SCHEMATHESIS_HOOKS`: who the run is. Each run is one principal; its bearer token comes from
the environment the test sets, and none at all makes the run anonymous.

`POST /api/user/logout` ends every session of its account (spec/security.md, "Sessions"), so
it runs with a second account of the same role: the principal's own token stays valid for the
whole run, and every other operation is tested with a live session.
"""

from __future__ import annotations

import os

import schemathesis

TOKEN = "E2E_BEARER"  # the principal's token; unset for the anonymous run
LOGOUT_TOKEN = "E2E_LOGOUT_BEARER"  # a token of another account of the same role
LOGOUT = "/api/user/logout"


class _Bearer:
    """An `Authorization: Bearer` from the environment variable `variable`, or none."""

    variable = TOKEN

    def get(self, case, context):
        """The token, or None (no credentials: schemathesis sends the case as generated)."""
        return os.environ.get(self.variable) or None

    def set(self, case, data, context):
        """Put the token on the case."""
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


# Static tokens: no caching, and a 401 is an answer to check, never a cue to log in again.
@schemathesis.auth(refresh_interval=None).apply_to(path=LOGOUT)
class LogoutBearer(_Bearer):
    """The second account's token, for logging out."""

    variable = LOGOUT_TOKEN


@schemathesis.auth(refresh_interval=None).skip_for(path=LOGOUT)
class PrincipalBearer(_Bearer):
    """The principal's token, for every other operation."""
