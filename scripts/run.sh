#!/usr/bin/env bash
# `make run`: provision, migrate, make sure a demo project exists, print how to reach
# everything, then run all services in the foreground until Ctrl-C.
#
#   scripts/run.sh [--follow]   (make run FOLLOW=1)
#
# Each service's output goes to .local/logs/<service>.log; the terminal shows services up
# or down and their errors, or, with --follow (VITALS_FOLLOW=1), every line as well.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
FOLLOW=${VITALS_FOLLOW:-0}
for arg in "$@"; do
  case "$arg" in
    --follow) FOLLOW=1 ;;
    *) echo "usage: scripts/run.sh [--follow]" >&2; exit 2 ;;
  esac
done

scripts/provision.sh all
# shellcheck disable=SC1091
. .local/env
export PATH="$ROOT/.venv/bin:$PATH"
: "${VITALS_BASE_PORT:=8000}"
: "${VITALS_HOST:=127.0.0.1}"

createdb_if_missing() {
  local url=$VITALS_DATABASE_URL
  local name=${url##*/}; name=${name%%\?*}
  psql "${url%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 \
    || psql "${url%/*}/postgres" -qc "CREATE DATABASE \"$name\""
}
# Best effort: with a managed database the role may not create databases, and migrate
# then says clearly what is wrong.
createdb_if_missing || echo "note: could not create the database; assuming it exists" >&2
vitals migrate

# Captured first: `grep -q` closing the pipe early would make `vitals` fail on EPIPE.
projects=$(vitals project list)
if ! grep -q '"slug": "demo"' <<<"$projects"; then
  vitals project create demo --name "Demo site" >/dev/null
fi
# The key is shown only once, so the demo keeps its copy under .local/ (one per edition:
# each edition's database holds its own keys).
DEMO_KEY=.local/demo-key
[ "${VITALS_EDITION:-apache}" = timescale ] && DEMO_KEY=.local/timescale/demo-key
if [ ! -s "$DEMO_KEY" ]; then
  vitals key create demo --label "make run" > "$DEMO_KEY"
fi
vitals keys sync >/dev/null
# The demo login owns the instance: it administers the demo project (alert forms, keys,
# members) and may create projects and users from the dashboard, as a first user would.
vitals user create demo@example.com --password demo-password --project demo --role admin --owner >/dev/null
TOKEN=$(vitals token --project demo --lifetime 86400 --subject demo)

LOG_DIR=.local/logs
[ "${VITALS_EDITION:-apache}" = timescale ] && LOG_DIR=.local/timescale/logs
if [ "$FOLLOW" = 1 ]; then
  LOG_HINT="and every line below"; FOLLOW_ARGS=(--follow)
else
  LOG_HINT="make run FOLLOW=1 shows every line here"; FOLLOW_ARGS=()
fi
cat <<INFO

  Vitals is starting.
  dashboard http://$VITALS_HOST:$((VITALS_BASE_PORT + 3))   (sign in with the login below)
  ingest    http://$VITALS_HOST:$((VITALS_BASE_PORT + 1))   (POST /v1/beacon?key=…)
  query     http://$VITALS_HOST:$((VITALS_BASE_PORT + 2))   (OpenAPI at /schema)
  realtime  http://$VITALS_HOST:$((VITALS_BASE_PORT + 4))   (Socket.IO)
  admin     http://$VITALS_HOST:$((VITALS_BASE_PORT + 5))   (deploys with a deploy token; alert rules and destinations)
  workers   http://$VITALS_HOST:$((VITALS_BASE_PORT + 10))… (health, metrics)

  demo ingest key   $(cat "$DEMO_KEY")
  dashboard login   demo@example.com / demo-password
  dashboard token   $TOKEN

  logs      $LOG_DIR/<service>.log   ($LOG_HINT)
  Ctrl-C stops everything.

INFO
# Demo traffic by default, so there is something to look at; VITALS_DEMO=0 turns it off.
DEMO_ARGS=()
[ "${VITALS_DEMO:-1}" = "1" ] && DEMO_ARGS=(--demo-key "$(cat "$DEMO_KEY")")
# The dashboard (Vite's preview server) proxies the query and admin APIs and Socket.IO, so
# the browser sees one origin, and that origin is the one realtime must allow.
DASHBOARD_PORT=$((VITALS_BASE_PORT + 3))
export VITALS_QUERY_URL="http://$VITALS_HOST:$((VITALS_BASE_PORT + 2))"
export VITALS_REALTIME_URL="http://$VITALS_HOST:$((VITALS_BASE_PORT + 4))"
export VITALS_ADMIN_URL="http://$VITALS_HOST:$((VITALS_BASE_PORT + 5))"
export VITALS_REALTIME_CORS_ORIGINS=${VITALS_REALTIME_CORS_ORIGINS:-http://$VITALS_HOST:$DASHBOARD_PORT}
# The demo sends cf-ipcountry like a CDN would; trust it only in this local setup.
export VITALS_COUNTRY_HEADER=${VITALS_COUNTRY_HEADER:-cf-ipcountry}
exec vitals up --quiet --host "$VITALS_HOST" --base-port "$VITALS_BASE_PORT" \
  --dashboard-port "$DASHBOARD_PORT" --log-dir "$LOG_DIR" "${FOLLOW_ARGS[@]}" "${DEMO_ARGS[@]}"
