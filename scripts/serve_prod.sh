#!/usr/bin/env bash
# Run the production settings locally: gunicorn (several workers), the django-tasks
# database worker(s), PostgreSQL and Redis, WhiteNoise static files. Ctrl-C stops it all.
#
# Environment (all optional):
#   DB_ENGINE=postgres|sqlite     postgres (default) creates $PGDATABASE_NAME if missing
#   DATABASE_URL                  overrides the PostgreSQL URL
#   REDIS_URL                     default redis://127.0.0.1:6379/3
#   PORT WEB_WORKERS WEB_THREADS  gunicorn: default 8100, 4 workers x 8 threads
#   TASK_WORKERS                  db_worker processes, default 2
#   SERVE_PROD_DEMO=0             skip loading the demo site
#   SMS_GATEWAY_URL               a real gateway; unset starts the local SMS/SMTP sinks
#   SERVE_PROD_STATE              state directory, default var/serve-prod
# Secrets are generated once into $SERVE_PROD_STATE/secrets.env (mode 600) and kept, so
# data encrypted in one run stays readable in the next; variables already set win.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
STATE=${SERVE_PROD_STATE:-var/serve-prod}
PORT=${PORT:-8100}
WEB_WORKERS=${WEB_WORKERS:-4}
WEB_THREADS=${WEB_THREADS:-8}
TASK_WORKERS=${TASK_WORKERS:-2}
DB_ENGINE=${DB_ENGINE:-postgres}
PGDATABASE_NAME=${PGDATABASE_NAME:-policyforms_prod}
SMS_SINK_PORT=${SMS_SINK_PORT:-8125}
SMTP_SINK_PORT=${SMTP_SINK_PORT:-8126}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)

# shellcheck source=scripts/prod_env.sh
. scripts/prod_env.sh

redis-cli -u "$REDIS_URL" ping >/dev/null || { log "Redis is not answering at $REDIS_URL"; exit 1; }

PIDS=()
cleanup() {
  trap - EXIT
  trap '' INT TERM
  log "stopping"
  touch "$STATE/stopping"
  if [ -f "$STATE/gunicorn.pid" ]; then kill -TERM "$(cat "$STATE/gunicorn.pid")" 2>/dev/null || true; fi
  for pidfile in "$STATE"/task-worker-*.pid "$STATE/sinks.pid"; do
    [ -f "$pidfile" ] && kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -f "$STATE"/*.pid "$STATE/stopping" "$STATE/task-workers.paused"
  log "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -f "$STATE/stopping" "$STATE/task-workers.paused"

# --- local SMS gateway and mail server ----------------------------------------------
if [ -z "${SMS_GATEWAY_URL:-}" ]; then
  if [ ! -f "$STATE/tls/cert.pem" ]; then
    mkdir -p "$STATE/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=127.0.0.1" \
      -addext "subjectAltName=IP:127.0.0.1" -keyout "$STATE/tls/key.pem" -out "$STATE/tls/cert.pem" 2>/dev/null
    chmod 600 "$STATE/tls/key.pem"
  fi
  (umask 077; printf '%s' "$SMS_GATEWAY_SECRET" >"$STATE/tls/gateway-secret")
  $PY scripts/load/sinks.py --sms-port "$SMS_SINK_PORT" --smtp-port "$SMTP_SINK_PORT" \
    --cert "$STATE/tls/cert.pem" --key "$STATE/tls/key.pem" \
    --secret-file "$STATE/tls/gateway-secret" --state-dir "$STATE" >>"$STATE/sinks.log" 2>&1 &
  echo $! >"$STATE/sinks.pid"
  PIDS+=($!)
  export SMS_GATEWAY_URL="https://127.0.0.1:$SMS_SINK_PORT/send"
  export SMS_GATEWAY_KEY_ID=${SMS_GATEWAY_KEY_ID:-local}
  export REQUESTS_CA_BUNDLE="$STATE/tls/cert.pem"
  export EMAIL_HOST=127.0.0.1 EMAIL_PORT=$SMTP_SINK_PORT
  log "local sinks: SMS gateway $SMS_GATEWAY_URL, SMTP 127.0.0.1:$SMTP_SINK_PORT (deliveries in $STATE/deliveries.jsonl)"
fi

# --- database, translations, static files --------------------------------------------
$PY manage.py migrate --noinput -v 0
$PY manage.py compile_translations >/dev/null
$PY manage.py collectstatic --noinput -v 0
if [ "${SERVE_PROD_DEMO:-1}" = "1" ]; then $PY manage.py load_demo_site >/dev/null; fi
$PY manage.py check --deploy --fail-level ERROR >/dev/null

# --- processes -----------------------------------------------------------------------
start_task_worker() {
  local n=$1
  $PY manage.py db_worker --no-startup-delay --worker-id "serve-prod-$n-$$" -v 0 \
    >>"$STATE/task-worker-$n.log" 2>&1 &
  echo $! >"$STATE/task-worker-$n.pid"
  PIDS+=($!)
}
for n in $(seq 1 "$TASK_WORKERS"); do start_task_worker "$n"; done

.venv/bin/gunicorn cms.wsgi:application -c scripts/deploy/gunicorn.conf.py \
  --bind "127.0.0.1:$PORT" --workers "$WEB_WORKERS" --worker-class gthread --threads "$WEB_THREADS" \
  --timeout 30 --graceful-timeout 20 --keep-alive 5 --backlog 2048 \
  --pid "$STATE/gunicorn.pid" --error-logfile "$STATE/gunicorn.log" --capture-output &
PIDS+=($!)
GUNICORN=$!

for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
  kill -0 "$GUNICORN" 2>/dev/null || { log "gunicorn exited; see $STATE/gunicorn.log"; exit 1; }
  sleep 0.5
done
log "ready: http://localhost:$PORT/ (admin /admin/), $WEB_WORKERS web workers x $WEB_THREADS threads, $TASK_WORKERS task workers"
echo ready >"$STATE/ready"

# Supervise: a task worker that exits is restarted unless task-workers.paused exists.
while kill -0 "$GUNICORN" 2>/dev/null; do
  for n in $(seq 1 "$TASK_WORKERS"); do
    pid=$(cat "$STATE/task-worker-$n.pid" 2>/dev/null || echo "")
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && [ ! -f "$STATE/task-workers.paused" ]; then
      log "task worker $n exited; restarting"
      start_task_worker "$n"
    fi
  done
  sleep 1
done
rm -f "$STATE/ready"
log "gunicorn exited"
