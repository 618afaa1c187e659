#!/usr/bin/env bash
# `make test`: fresh infrastructure on the test profile's own ports and data directory, lint,
# the type checker, migrations, then the unit, integration and end-to-end tiers, and last the
# short fault-injection scenarios on the chaos profile's own infrastructure; stops what it
# started.
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 deploy/local/infra.py up --profile test --fresh
trap 'python3 deploy/local/infra.py down --profile test' EXIT
set -a; . .local/test/env; set +a

.venv/bin/ruff check src test deploy
.venv/bin/mypy
.venv/bin/alembic upgrade head
.venv/bin/pytest test/unit test/integration test/e2e -q -p no:cacheprovider

# Fault injection, short form: kvrocks-flush and consumer-kill-5s (spec/faults.md).
.venv/bin/python -m deploy.chaos --short
