#!/usr/bin/env bash
# `make bench`: fresh infrastructure on the bench profile's own ports (PostgreSQL 35432,
# redis 36379, Kafka 39092), migrations, the ticketing API on 127.0.0.1:38000 and the
# reservation consumers, then the load tool (default: `sellout`); stops everything it started.
#
#   bash deploy/local/bench.sh                         # sellout, 10,000 seats, quantity 1
#   bash deploy/local/bench.sh sellout --quantity 1-4
#   bash deploy/local/bench.sh sustained --rate 500 --duration 30
#   bash deploy/local/bench.sh drain                   # 50,000-booking backlog, consumers paused
#   bash deploy/local/bench.sh stampede                # 10,000 buyers, a connection each, at once
#   bash deploy/local/bench.sh ramp --stages 1000:5s,1400:50s,1000:5s
#   (these two build the Go client deploy/loadtest/firehose/ into .cache/firehose/ when missing)
#   TICKETING_WORKERS=2 RESERVATION_CONSUMERS=2 BENCH_PYSPY=1 bash deploy/local/bench.sh
#   TICKETING_SERVER=granian TICKETING_BACKLOG=4096 bash deploy/local/bench.sh
#   BENCH_WARMUP=0 bash deploy/local/bench.sh          # measure a cold system (no warm-up)
#   TICKETING_SSE_MAX_PER_ADDRESS=10000 bash deploy/local/bench.sh sustained \
#     --sse-event-streams 5000 --sse-booking-streams 1000   # with idle SSE clients
#
# Every TICKETING_* variable set by the caller reaches the API (e.g. the stream caps above: the
# load tool's streams all come from 127.0.0.1). The API raises its own soft open-file limit to
# TICKETING_SSE_MAX_STREAMS + 1024 as far as the hard limit allows (printed below).
#
# Before the measured run comes a warm-up: BENCH_WARMUP (default 20) seconds of sustained load
# at BENCH_WARMUP_RATE (default 1500) bookings/s on an event of its own, checked like any run,
# its report kept in .local/bench/warmup/. A fresh Kafka broker spends its first minute
# JIT-compiling (the C2 compiler alone takes a fifth of a core), which a flash sale on a
# running system never pays; the warm-up keeps that out of the figures.
#
# BENCH_PYSPY=1 records 15 s flame graphs (py-spy, a dev dependency) of one API worker and one
# consumer into reports/, starting BENCH_PYSPY_DELAY (default 10) seconds after the load tool.
# The load tool gets RESERVATION_PIDS (the consumers started here): `drain` pauses them with
# SIGSTOP while it builds the backlog, so for `drain` the outbox relay waits an hour before
# re-sending a `processing` booking (TICKETING_OUTBOX_REPUBLISH_AFTER_S=3600).
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=38000
# Two API workers: one costs less CPU (0.56 cores instead of 0.74 at 2,000/s) but, over six
# sustained runs each, its accept p99 was no better and its sellouts were slower
# (spec/performance.md, "Results").
export TICKETING_WORKERS=${TICKETING_WORKERS:-2}
export RESERVATION_CONSUMERS=${RESERVATION_CONSUMERS:-1}
LOGS=.local/bench/logs
pids=()
consumer_pids=()
[ $# -gt 0 ] || set -- sellout
if [ "$1" = drain ]; then
  export TICKETING_OUTBOX_REPUBLISH_AFTER_S=${TICKETING_OUTBOX_REPUBLISH_AFTER_S:-3600}
fi

stop_all() {
  trap - EXIT INT TERM
  echo "[bench] stopping…"
  # a consumer left stopped (SIGSTOP) would never act on the SIGTERM below
  [ ${#consumer_pids[@]} -gt 0 ] && kill -CONT "${consumer_pids[@]}" 2>/dev/null || true
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  python3 deploy/local/infra.py down --profile bench
}
trap stop_all EXIT INT TERM

# The Go client of the stampede and ramp modes, built before anything starts (it says so when
# `go` is missing); the tool would build it too.
case "$1" in
  stampede|ramp)
    .venv/bin/python -c 'from deploy.loadtest.firehose import ensure_binary as b; print("[bench] firehose:", b())' ;;
esac

python3 deploy/local/infra.py up --profile bench --fresh
set -a; . .local/bench/env; set +a
# A signing secret of the run's own (the service refuses to start without one), and seller
# sign-up open for the load tool's seller (spec/security.md).
export TICKETING_JWT_SECRET=${TICKETING_JWT_SECRET:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}
export TICKETING_SELLER_SIGNUP=${TICKETING_SELLER_SIGNUP:-open}
mkdir -p "$LOGS" reports
.venv/bin/alembic upgrade head

# The launcher (TICKETING_SERVER=uvicorn|granian, TICKETING_BACKLOG, …): idle keep-alive
# connections closed after 5 s (spec/security.md, "Timeouts"), the listen backlog explicit
# (spec/performance.md, "Servers and the listen backlog").
TICKETING_HOST=127.0.0.1 TICKETING_PORT="$PORT" TICKETING_LOG_LEVEL=warning \
  .venv/bin/python -m src.service.ticketing.entrypoints.serve >"$LOGS/ticketing.log" 2>&1 &
api_pid=$!
pids+=("$api_pid")
for i in $(seq "$RESERVATION_CONSUMERS"); do
  .venv/bin/python -m src.service.reservation.entrypoints.consumer >"$LOGS/reservation-$i.log" 2>&1 &
  pids+=($!)
  consumer_pids+=($!)
done

for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { tail -20 "$LOGS/ticketing.log"; exit 1; }
echo "[bench] ticketing on :$PORT (${TICKETING_SERVER:-uvicorn}, $TICKETING_WORKERS workers, backlog ${TICKETING_BACKLOG:-4096}), $RESERVATION_CONSUMERS consumer(s); logs in $LOGS/"
echo "[bench] open-file limit: soft $(ulimit -Sn), hard $(ulimit -Hn)"

warmup=${BENCH_WARMUP:-20}
if [ "$warmup" != 0 ]; then
  echo "[bench] warm-up: ${warmup}s at ${BENCH_WARMUP_RATE:-1500}/s, not measured (log: $LOGS/warmup.log)"
  BASE_URL="http://127.0.0.1:$PORT" LOADTEST_SABOTAGE='' .venv/bin/python -m deploy.loadtest \
    sustained --rate "${BENCH_WARMUP_RATE:-1500}" --duration "$warmup" \
    --reports .local/bench/warmup >"$LOGS/warmup.log" 2>&1 \
    || { echo "[bench] warm-up failed:"; tail -20 "$LOGS/warmup.log"; exit 1; }
fi

flame() {  # flame <pid> <name>: one 15 s py-spy recording, in the background
  local fmt=${BENCH_PYSPY_FORMAT:-flamegraph} ext=svg
  [ "$fmt" = raw ] && ext=txt
  .venv/bin/py-spy record --pid "$1" --duration 15 --rate "${BENCH_PYSPY_RATE:-100}" --nonblocking \
    --format "$fmt" \
    -o "reports/flame-$2-$(date +%Y%m%d-%H%M%S).$ext" >"$LOGS/py-spy-$2.log" 2>&1 &
  pids+=($!)
}
if [ "${BENCH_PYSPY:-0}" = 1 ] && [ -x .venv/bin/py-spy ]; then
  (sleep "${BENCH_PYSPY_DELAY:-10}"
   # uvicorn's workers are `spawn_main` children, Granian's forks of the launcher
   worker=$(pgrep -P "$api_pid" -f 'spawn_main|entrypoints[.]serve' | head -1 || true)
   flame "${worker:-$api_pid}" ticketing
   flame "${consumer_pids[0]}" reservation
   wait) &
  pids+=($!)
fi

rc=0
BASE_URL="http://127.0.0.1:$PORT" RESERVATION_PIDS="${consumer_pids[*]}" \
  .venv/bin/python -m deploy.loadtest "$@" || rc=$?
# GroupCoordinatorNotAvailable is the fresh broker's start-up transient, not a finding; after
# `drain`, so is the consumer's expired session (it was stopped longer than its 10 s timeout).
expected=GroupCoordinatorNotAvailable
[ "$1" = drain ] && expected="$expected|Heartbeat session expired"
errors=$(grep -hE "Traceback| ERROR " "$LOGS"/*.log | grep -vE "$expected" || true)
if [ -n "$errors" ]; then
  echo "[bench] note: errors in the service logs ($LOGS/):"
  head -5 <<<"$errors"
fi
exit "$rc"
