#!/usr/bin/env bash
# `make run`: infrastructure (profile `run`), migrations, the ticketing API (the launcher
# `entrypoints/serve.py`: uvicorn, or Granian with TICKETING_SERVER=granian) and the
# reservation consumers, demo users and event; Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${TICKETING_PORT:-8000}
WORKERS=${TICKETING_WORKERS:-2}
CONSUMERS=${RESERVATION_CONSUMERS:-1}
LOGS=.local/run/logs
pids=()

stop_all() {
  trap - EXIT INT TERM
  echo; echo "stopping…"
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  python3 deploy/local/infra.py down --profile run
}
trap stop_all EXIT INT TERM

python3 deploy/local/infra.py up --profile run
set -a; . .local/run/env; set +a
# A local demo over plain HTTP: development mode (cookies without Secure, seller sign-up open),
# with a signing secret of its own, generated once per data directory (spec/security.md).
export TICKETING_ENV=${TICKETING_ENV:-development}
if [ -z "${TICKETING_JWT_SECRET:-}" ]; then
  TICKETING_JWT_SECRET=$(python3 deploy/local/secret.py .local/run/jwt_secret)
fi
export TICKETING_JWT_SECRET
mkdir -p "$LOGS"
.venv/bin/alembic upgrade head

# The launcher (TICKETING_SERVER=uvicorn|granian, TICKETING_BACKLOG, …): idle keep-alive
# connections closed after 5 s (spec/security.md, "Timeouts"), the listen backlog explicit
# (spec/performance.md, "Servers and the listen backlog").
TICKETING_HOST=127.0.0.1 TICKETING_PORT="$PORT" TICKETING_WORKERS="$WORKERS" \
  .venv/bin/python -m src.service.ticketing.entrypoints.serve >"$LOGS/ticketing.log" 2>&1 &
pids+=($!)
for i in $(seq "$CONSUMERS"); do
  .venv/bin/python -m src.service.reservation.entrypoints.consumer >"$LOGS/reservation-$i.log" 2>&1 &
  pids+=($!)
done

for _ in $(seq 60); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { tail -20 "$LOGS/ticketing.log"; exit 1; }

.venv/bin/python deploy/local/demo.py "http://127.0.0.1:$PORT"
echo "logs: $LOGS/   —   Ctrl-C stops everything"
wait
