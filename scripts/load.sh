#!/usr/bin/env bash
# make load: concurrent visitors and staff against gunicorn on loopback, at each
# concurrency level on PostgreSQL and on SQLite, then a run with faults injected on
# PostgreSQL (worker restart, Redis down 30 s, task workers stopped 60 s, database
# refusing connections). Prints figures; results are kept under var/load/<time>/.
#
#   LOAD_LEVELS="50 200"  LOAD_DURATION=40  LOAD_ENGINES="postgres sqlite"
#   LOAD_FAULTS=1 (0 skips the fault run)  LOAD_FAULT_CLIENTS=50  LOAD_FAULT_DURATION=165
#
# Redis and PostgreSQL are always put back as they were (trap), even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
LOAD_LEVELS=${LOAD_LEVELS:-"50 200"}
LOAD_DURATION=${LOAD_DURATION:-40}
LOAD_ENGINES=${LOAD_ENGINES:-"postgres sqlite"}
LOAD_FAULTS=${LOAD_FAULTS:-1}
LOAD_FAULT_CLIENTS=${LOAD_FAULT_CLIENTS:-50}
LOAD_FAULT_DURATION=${LOAD_FAULT_DURATION:-165}
export PORT=${LOAD_PORT:-8200} SMS_SINK_PORT=8225 SMTP_SINK_PORT=8226
export PGDATABASE_NAME=policyforms_load
OUT=var/load/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# One client IP sends every request here, so the per-IP limits are raised for the run
# (all are environment settings); per-number limits stay as configured: every
# visitor uses its own number.
export MESSAGE_LIMIT_PER_IP_HOUR=1000000 MESSAGE_LIMIT_PER_SUBNET_HOUR=1000000
export MESSAGE_LIMIT_GLOBAL_PER_MINUTE=1000000 MESSAGE_LIMIT_GLOBAL_PER_DAY=1000000
export SMS_VERIFY_LIMIT_PER_IP_HOUR=1000000 API_RATE_SUBMISSIONS=1000000/min
export LOG_LEVEL=WARNING

REDIS_START=(redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no
  --dir /var/lib/redis --logfile /var/log/redis/ci.log)
say() { printf '[load] %s\n' "$*" | tee -a "$OUT/summary.txt"; }
stamp() { printf '%s %s\n' "$(date +%s.%N)" "$1" >>"$OUT/faults.log"; say "fault: $1"; }

STACK_PID=""
STATE=""
stop_stack() {
  if [ -n "$STACK_PID" ] && kill -0 "$STACK_PID" 2>/dev/null; then
    kill -TERM "$STACK_PID" 2>/dev/null || true
    wait "$STACK_PID" 2>/dev/null || true
  fi
  STACK_PID=""
}
restore() {
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then "${REDIS_START[@]}" || true; fi
  psql -h 127.0.0.1 -U postgres -d postgres -qc \
    "ALTER DATABASE $PGDATABASE_NAME WITH ALLOW_CONNECTIONS true" >/dev/null 2>&1 || true
  [ -n "$STATE" ] && rm -f "$STATE/task-workers.paused"
}
finish() {
  trap - EXIT
  trap '' INT TERM
  [ -n "${FAULTS_PID:-}" ] && kill "$FAULTS_PID" 2>/dev/null || true
  restore
  stop_stack
  restore
}
trap finish EXIT
trap 'exit 130' INT TERM

start_stack() {
  local engine=$1
  export DB_ENGINE=$engine SERVE_PROD_STATE=var/load/state-$engine
  STATE=$(mkdir -p "$SERVE_PROD_STATE" && cd "$SERVE_PROD_STATE" && pwd)
  rm -f "$STATE/ready" "$STATE/deliveries.jsonl"
  scripts/serve_prod.sh >>"$OUT/serve-$engine.log" 2>&1 &
  STACK_PID=$!
  for _ in $(seq 1 1200); do
    [ -f "$STATE/ready" ] && break
    kill -0 "$STACK_PID" 2>/dev/null || { say "serve-prod failed; see $OUT/serve-$engine.log"; exit 1; }
    sleep 0.5
  done
  [ -f "$STATE/ready" ] || { say "serve-prod did not become ready"; exit 1; }
  # shellcheck source=scripts/prod_env.sh
  prepare setup >"$OUT/setup-$engine.json"
}

prepare() {
  # The same environment serve-prod gives the site, local SMS sink included.
  (
    STATE=$STATE
    . scripts/prod_env.sh >/dev/null
    export SMS_GATEWAY_URL=${SMS_GATEWAY_URL:-https://127.0.0.1:$SMS_SINK_PORT/send}
    $PY scripts/load/prepare.py "$@"
  )
}

run_clients() {
  local engine=$1 clients=$2 duration=$3 label=$4
  $PY scripts/load/client.py --port "$PORT" --sink-port "$SMS_SINK_PORT" --sink-ca "$STATE/tls/cert.pem" \
    --setup "$(cat "$OUT/setup-$engine.json")" --concurrency "$clients" --duration "$duration" \
    --outcomes "$OUT/outcomes-$label.jsonl" --events "$OUT/events-$label.json" >"$OUT/result-$label.json"
  prepare verify "$OUT/outcomes-$label.jsonl" >"$OUT/verify-$label.json"
  $PY scripts/load/report.py --label "$label" --result "$OUT/result-$label.json" \
    --verify "$OUT/verify-$label.json" | tee -a "$OUT/summary.txt"
}

drain_queue() {
  for _ in $(seq 1 90); do
    local queue
    queue=$(prepare queue)
    if ! grep -q '"READY"\|"RUNNING"' <<<"$queue"; then echo "$queue"; return 0; fi
    sleep 1
  done
  prepare queue
}

fault_timeline() {
  local master
  sleep 10
  master=$(cat "$STATE/gunicorn.pid")
  stamp "gunicorn_hup"; kill -HUP "$master"
  sleep 3
  stamp "gunicorn_kill_worker"; kill -KILL "$(pgrep -P "$master" | head -n 1)"
  sleep 7
  stamp "redis_down"; redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1 || true
  sleep 30
  "${REDIS_START[@]}"; stamp "redis_up"
  sleep 8
  stamp "task_workers_stop"; touch "$STATE/task-workers.paused"
  for pidfile in "$STATE"/task-worker-*.pid; do kill -TERM "$(cat "$pidfile")" 2>/dev/null || true; done
  sleep 60
  rm -f "$STATE/task-workers.paused"; stamp "task_workers_start"
  sleep 8
  stamp "db_refuse"
  psql -h 127.0.0.1 -U postgres -d postgres -qc "ALTER DATABASE $PGDATABASE_NAME WITH ALLOW_CONNECTIONS false" >/dev/null
  psql -h 127.0.0.1 -U postgres -d postgres -qtAc \
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$PGDATABASE_NAME'" >/dev/null
  sleep 5
  psql -h 127.0.0.1 -U postgres -d postgres -qc "ALTER DATABASE $PGDATABASE_NAME WITH ALLOW_CONNECTIONS true" >/dev/null
  stamp "db_accept"
}

say "results in $OUT"
for engine in $LOAD_ENGINES; do
  start_stack "$engine"
  for clients in $LOAD_LEVELS; do
    say "$engine: $clients clients for ${LOAD_DURATION}s"
    run_clients "$engine" "$clients" "$LOAD_DURATION" "$engine-$clients"
    sleep 2
  done
  say "$engine: task queue after the runs: $(drain_queue)"
  stop_stack
done

if [ "$LOAD_FAULTS" = "1" ]; then
  start_stack postgres
  : >"$OUT/faults.log"
  say "postgres with faults: $LOAD_FAULT_CLIENTS clients for ${LOAD_FAULT_DURATION}s"
  fault_timeline &
  FAULTS_PID=$!
  run_clients postgres "$LOAD_FAULT_CLIENTS" "$LOAD_FAULT_DURATION" faults
  wait "$FAULTS_PID" || true
  FAULTS_PID=""
  restore
  say "task queue once the workers are back: $(drain_queue)"
  $PY scripts/load/report.py --label faults-detail --result "$OUT/result-faults.json" \
    --verify "$OUT/verify-faults.json" --events "$OUT/events-faults.json" --faults "$OUT/faults.log" \
    --deliveries "$STATE/deliveries.jsonl" | tee -a "$OUT/summary.txt"
  stop_stack
fi
say "done; summary in $OUT/summary.txt"
