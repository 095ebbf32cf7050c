# Sourced by serve_prod.sh and load.sh: the production environment for a local run.
# Expects PY, STATE, PORT, DB_ENGINE and PGDATABASE_NAME to be set by the caller.
log() { printf '[serve-prod] %s\n' "$*"; }

# --- secrets and environment ---------------------------------------------------------
if [ ! -f "$STATE/secrets.env" ]; then
  (
    umask 077
    {
      echo ": \"\${DJANGO_SECRET_KEY:=$($PY -c 'import secrets; print(secrets.token_urlsafe(60))')}\""
      echo ": \"\${FIELD_ENCRYPTION_KEYS:=$($PY -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')}\""
      echo ": \"\${SUBJECT_HASH_KEY:=$($PY -c 'import secrets; print(secrets.token_urlsafe(32))')}\""
      echo ": \"\${SMS_GATEWAY_SECRET:=$($PY -c 'import secrets; print(secrets.token_urlsafe(32))')}\""
    } >"$STATE/secrets.env"
  )
  log "generated secrets in $STATE/secrets.env (keep it: it holds the encryption key)"
fi
# shellcheck disable=SC1091
. "$STATE/secrets.env"
export DJANGO_SECRET_KEY FIELD_ENCRYPTION_KEYS SUBJECT_HASH_KEY SMS_GATEWAY_SECRET
export DJANGO_SETTINGS_MODULE=cms.settings.production
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/3}
# Loopback has no TLS terminator in front; a deployment keeps the redirect on.
export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-0}
export SECURE_HSTS_SECONDS=${SECURE_HSTS_SECONDS:-0}
export WAGTAILADMIN_BASE_URL=${WAGTAILADMIN_BASE_URL:-http://localhost:$PORT}
export STATIC_ROOT=${STATIC_ROOT:-$STATE/static}
export MEDIA_ROOT=${MEDIA_ROOT:-$STATE/media}
export PRIVATE_MEDIA_ROOT=${PRIVATE_MEDIA_ROOT:-$STATE/private}

if [ "$DB_ENGINE" = "sqlite" ]; then
  unset DATABASE_URL
  export SQLITE_PATH=${SQLITE_PATH:-$STATE/site.sqlite3}
  log "database: SQLite $SQLITE_PATH"
else
  export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/$PGDATABASE_NAME}
  pg_isready -h 127.0.0.1 -p 5432 -q || { log "PostgreSQL is not answering on 127.0.0.1:5432"; exit 1; }
  DB_NAME=$($PY -c 'import os, dj_database_url; print(dj_database_url.parse(os.environ["DATABASE_URL"])["NAME"])')
  ADMIN_URL=${DATABASE_URL%/*}/postgres
  if ! psql "$ADMIN_URL" -tAc "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" | grep -q 1; then
    psql "$ADMIN_URL" -qc "CREATE DATABASE \"$DB_NAME\""
    log "created database $DB_NAME"
  fi
  log "database: PostgreSQL $DB_NAME"
fi
