#!/usr/bin/env bash
# Provision everything Vitals needs on a Debian/Ubuntu-like machine, idempotently:
# system packages, TimescaleDB (built from Debian's source when missing), the Python
# environment, node packages, and a local PostgreSQL + Redis under .local/.
# A second run only checks and starts what is not already running.
#
#   scripts/provision.sh [system|python|node|services|all|stop|clean]   (default: all)
#
# Honours VITALS_DATABASE_URL / VITALS_REDIS_URL: when set, no local server is started.
#
# VITALS_EDITION=timescale runs the local PostgreSQL on the Timescale-licensed TimescaleDB
# instead (real continuous aggregates): built once from the source the user points at
# (VITALS_TIMESCALEDB_SOURCE=folder or .tar.gz of timescale/timescaledb at the tag below;
# never downloaded here) into a private copy of PostgreSQL under .local/timescale/, with
# its own cluster and port. The default (apache) edition is untouched by it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOCAL="$ROOT/.local"
PG_MAJOR=15
SYSTEM_PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
APACHE_PG_PORT=${VITALS_LOCAL_PG_PORT:-55432}
TIMESCALE_PG_PORT=${VITALS_LOCAL_TIMESCALE_PG_PORT:-55433}
REDIS_PORT=${VITALS_LOCAL_REDIS_PORT:-56379}
TIMESCALEDB_VERSION=2.19.3
UV_VERSION=0.13.8
# Where PostgreSQL's files go when the postgres user cannot enter the checkout (see
# locate_postgres_files).
RELOCATED_HOME=/var/lib/vitals

log() { printf '\033[1m[provision]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[provision] %s\033[0m\n' "$*" >&2; exit 1; }

EDITION=${VITALS_EDITION:-apache}
case "$EDITION" in
  apache|timescale) ;;
  *) die "VITALS_EDITION must be apache (the default) or timescale, not '$EDITION'" ;;
esac

# The edition's binaries, cluster and port. Real paths: .local/pg and .local/timescale
# may be links (locate_postgres_files), and the postgres user must not walk through them.
# The Timescale edition's home: usr/ (the copy of PostgreSQL with the Timescale-licensed
# build installed into it), pg/ (its cluster), build.log.
edition_paths() {
  TIMESCALE_HOME=$(readlink -m "$LOCAL/timescale")
  if [ "$EDITION" = timescale ]; then
    PG_BIN="$TIMESCALE_HOME/usr/lib/postgresql/$PG_MAJOR/bin"
    PG_DIR="$TIMESCALE_HOME/pg"; PG_PORT=$TIMESCALE_PG_PORT; PG_PORT_VARIABLE=VITALS_LOCAL_TIMESCALE_PG_PORT
  else
    PG_BIN=$SYSTEM_PG_BIN
    PG_DIR=$(readlink -m "$LOCAL/pg"); PG_PORT=$APACHE_PG_PORT; PG_PORT_VARIABLE=VITALS_LOCAL_PG_PORT
  fi
}
edition_paths

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1; fi
}

# --- system packages -------------------------------------------------------------
# chromium: browser tests; wrk: the ingest benchmark's saturation load.
SYSTEM_PACKAGES=(redis-server postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR cmake
                 build-essential dpkg-dev libkrb5-dev libssl-dev chromium wrk)

missing_packages() {
  local pkg
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}

ensure_system_packages() {
  local missing
  missing=$(missing_packages | tr '\n' ' ')
  [ -z "$missing" ] && return 0
  if ! command -v apt-get >/dev/null || ! as_root true; then
    die "missing system packages: $missing
Install them yourself (apt/dnf/brew equivalent) and TimescaleDB $TIMESCALEDB_VERSION for PostgreSQL $PG_MAJOR,
or point VITALS_DATABASE_URL and VITALS_REDIS_URL at servers you run, then re-run."
  fi
  log "installing system packages: $missing"
  as_root apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

timescaledb_installed() {
  [ -f "$("$SYSTEM_PG_BIN/pg_config" --sharedir)/extension/timescaledb.control" ]
}

# Debian trixie ships timescaledb 2.19.3 (Apache-licensed); bookworm has none, so we
# build trixie's source package against the host's PostgreSQL (about 30 s).
ensure_timescaledb() {
  timescaledb_installed && return 0
  as_root true || die "TimescaleDB is not installed and we are not root: install timescaledb for PostgreSQL $PG_MAJOR."
  log "building TimescaleDB $TIMESCALEDB_VERSION from Debian source"
  local src=/etc/apt/sources.list.d/vitals-trixie-src.list
  if [ ! -f "$src" ]; then
    echo "deb-src http://deb.debian.org/debian trixie main" | as_root tee "$src" >/dev/null
    as_root apt-get update -qq
  fi
  local build
  build=$(mktemp -d)
  (cd "$build" && apt-get source --download-only -qq "timescaledb=$TIMESCALEDB_VERSION*" >/dev/null 2>&1 \
     || apt-get source --download-only -qq timescaledb >/dev/null)
  (cd "$build" && tar xf timescaledb_*.orig.tar.* && cd timescaledb-*/ \
     && PATH="$SYSTEM_PG_BIN:$PATH" ./bootstrap -DAPACHE_ONLY=1 -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF \
          -DWARNINGS_AS_ERRORS=OFF -DPG_CONFIG="$SYSTEM_PG_BIN/pg_config" >/dev/null 2>&1 \
     && cd build && make -j"$(nproc)" >/dev/null 2>&1 && as_root make install >/dev/null 2>&1)
  rm -rf "$build"
  timescaledb_installed || die "TimescaleDB build finished but the extension is not installed"
}

# --- the Timescale edition ---------------------------------------------------------
# PostgreSQL finds its share and lib folders relative to its own binary (the compiled-in
# paths' common prefix, /usr, is swapped for wherever the binary sits), so a copy of
# Debian's tree under .local/timescale/usr loads whatever TimescaleDB is installed into
# the copy, while the system's PostgreSQL keeps Debian's Apache-licensed build.
timescale_edition_built() {
  [ -f "$TIMESCALE_HOME/usr/lib/postgresql/$PG_MAJOR/lib/timescaledb-tsl-$TIMESCALEDB_VERSION.so" ]
}

ensure_timescale_edition() {
  timescale_edition_built && return 0
  local source=${VITALS_TIMESCALEDB_SOURCE:-}
  [ -n "$source" ] || die "VITALS_EDITION=timescale needs the Timescale-licensed TimescaleDB, built once from
its source. Fetch the public repository timescale/timescaledb at tag $TIMESCALEDB_VERSION (a clone or
GitHub's .tar.gz of the tag; it must include tsl/), then point at it:
  VITALS_EDITION=timescale VITALS_TIMESCALEDB_SOURCE=/path/to/timescaledb-$TIMESCALEDB_VERSION make ...
The build goes to .local/timescale/ and is reused; the variable is not needed afterwards."
  [ -e "$source" ] || die "VITALS_TIMESCALEDB_SOURCE=$source: no such file or folder"
  local work="$TIMESCALE_HOME/src" build_log="$TIMESCALE_HOME/build.log"
  rm -rf "$work" "${TIMESCALE_HOME:?}/usr"
  mkdir -p "$work"
  # Built in a copy: the user's folder may be read-only or hold a build of its own.
  if [ -d "$source" ]; then
    tar -C "$source" --exclude=./.git --exclude=./build -cf - . | tar -C "$work" -xf -
  else
    tar -C "$work" -xf "$source" --strip-components=1  # GitHub's archives hold one folder
  fi
  if [ ! -f "$work/version.config" ] || [ ! -d "$work/tsl" ]; then
    die "$source is not TimescaleDB's source with its tsl/ folder (timescale/timescaledb at tag $TIMESCALEDB_VERSION)"
  fi
  grep -q "^version = $TIMESCALEDB_VERSION\$" "$work/version.config" \
    || die "$source is TimescaleDB $(sed -n 's/^version = //p' "$work/version.config"), not $TIMESCALEDB_VERSION (the version the Apache edition and compose.yaml run)"
  log "building the Timescale-licensed TimescaleDB $TIMESCALEDB_VERSION into .local/timescale (a few minutes; log in .local/timescale/build.log)"
  # Not `cp -a --parents`: coreutils 9.1 (bookworm) leaves the parents it makes mode 700
  # (and fails when run from another folder), which locks the postgres user out; umask
  # 022 for the same reason. The system's pg_config: its include paths are absolute (the
  # copy has no headers), and DESTDIR puts the install under the copy.
  if ! (umask 022 \
        && mkdir -p "$TIMESCALE_HOME/usr/lib/postgresql" "$TIMESCALE_HOME/usr/share/postgresql" \
        && cp -a "/usr/lib/postgresql/$PG_MAJOR" "$TIMESCALE_HOME/usr/lib/postgresql/" \
        && cp -a "/usr/share/postgresql/$PG_MAJOR" "$TIMESCALE_HOME/usr/share/postgresql/" \
        && cd "$work" \
        && ./bootstrap -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF -DWARNINGS_AS_ERRORS=OFF \
             -DPG_CONFIG="$SYSTEM_PG_BIN/pg_config" \
        && cd build && make -j"$(nproc)" && make install DESTDIR="$TIMESCALE_HOME") >"$build_log" 2>&1; then
    rm -rf "${TIMESCALE_HOME:?}/usr"  # a half-installed copy must not pass for a build
    die "building TimescaleDB from $source failed; see .local/timescale/build.log"
  fi
  rm -rf "$work"
  timescale_edition_built || die "the build finished but timescaledb-tsl-$TIMESCALEDB_VERSION.so is not in the copy"
}

# The license is only known once the extension is loaded, so a scratch database is made
# for the check and dropped again.
check_timescale_license() {
  local psql=(env PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -X -q -v ON_ERROR_STOP=1)
  local license
  "${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS vitals_edition_check" \
    -c "CREATE DATABASE vitals_edition_check"
  license=$("${psql[@]}" -d vitals_edition_check -tA -c "CREATE EXTENSION timescaledb" \
              -c "SHOW timescaledb.license" | tail -n 1)
  "${psql[@]}" -d postgres -c "DROP DATABASE vitals_edition_check"
  [ "$license" = timescale ] \
    || die "the PostgreSQL in .local/timescale loads TimescaleDB with license '$license', not 'timescale'"
}

# --- Python ----------------------------------------------------------------------
ensure_python() {
  if [ ! -x "$LOCAL/uv/bin/uv" ]; then
    log "installing uv $UV_VERSION"
    python3 -m venv "$LOCAL/uv"
    "$LOCAL/uv/bin/pip" install -q "uv==$UV_VERSION"
  fi
  # --frozen: the lock file is the truth; a stale lock fails loudly instead of drifting.
  # --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set (this machine, CI), every
  # Python process would otherwise compile each library it imports afresh: ~1.4 s of CPU
  # for each service, worker or `vitals` command started. uv compiles only what changed.
  (cd "$ROOT" && UV_PYTHON_DOWNLOADS=never "$LOCAL/uv/bin/uv" sync --frozen --quiet --compile-bytecode)
}

# --- node ------------------------------------------------------------------------
ensure_node() {
  local dir
  for dir in "$ROOT"/tests/editions "$ROOT"/sdk "$ROOT"/dashboard; do
    [ -f "$dir/package-lock.json" ] || continue
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
      log "installing node packages in ${dir#$ROOT/}"
      (cd "$dir" && npm ci --no-audit --no-fund --legacy-peer-deps --loglevel=error >/dev/null)
    fi
  done
  # Ingest serves sdk/dist/vitals.js (read at its start) and `make run` serves
  # dashboard/dist: build each when missing or stale.
  build_if_stale sdk dist/vitals.js
  build_if_stale dashboard dist/index.html
}

build_if_stale() {
  local package="$ROOT/$1" built="$ROOT/$1/$2"
  [ -f "$package/package.json" ] || return 0
  if [ ! -f "$built" ] || [ "$package/package-lock.json" -nt "$built" ] ||
    [ -n "$(find "$package/src" -newer "$built" -print -quit)" ]; then
    log "building $1/dist"
    (cd "$package" && npm run build --silent >/dev/null)
  fi
}

# --- local servers ---------------------------------------------------------------
# PostgreSQL refuses to run as root, so when we are root the cluster belongs to postgres.
pg_run() {
  # From /: the postgres user may not be allowed into the folder we run in.
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# As root, the postgres user must walk down to its cluster, and to the Timescale
# edition's copy of PostgreSQL whose binaries it runs. In a checkout it cannot enter (one
# under /root, mode 700: "could not access directory") they live in
# /var/lib/vitals/<checkout>/ instead, linked from .local/pg and .local/timescale. Opening
# the home folder to it is not ours to decide: with trust authentication, anyone who can
# log in to the cluster reads files as postgres.
locate_postgres_files() {
  [ "$(id -u)" -eq 0 ] || return 0
  chmod o+x "$ROOT" "$LOCAL" 2>/dev/null || true  # the checkout's own folders, at least
  if runuser -u postgres -- test -x "$LOCAL" 2>/dev/null; then return 0; fi
  local home name
  home="$RELOCATED_HOME/$(basename "$ROOT")-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
  for name in pg timescale; do
    [ -L "$LOCAL/$name" ] && continue  # linked by an earlier run
    (umask 022 && mkdir -p "$home")
    if [ -e "$LOCAL/$name" ]; then
      # What an earlier run left (an empty folder from a failed initdb, a build) moves
      # along; a cluster that is still running does not.
      [ -e "$LOCAL/$name/data/postmaster.pid" ] || [ -e "$LOCAL/$name/pg/data/postmaster.pid" ] &&
        die ".local/$name holds a running PostgreSQL: stop it (scripts/provision.sh stop) and run again"
      [ -e "$home/$name" ] && die "both .local/$name and $home/$name exist: keep one and run again"
      mv "$LOCAL/$name" "$home/$name"
    else
      (umask 022 && mkdir -p "$home/$name")
    fi
    ln -s "$home/$name" "$LOCAL/$name"
    log "PostgreSQL runs as the postgres user, who cannot enter $ROOT: .local/$name links to $home/$name"
  done
  edition_paths
}

start_postgres() {
  local data="$PG_DIR/data"
  mkdir -p "$PG_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising PostgreSQL ($EDITION edition) in $(display "$PG_DIR")"
    pg_run "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
shared_preload_libraries = 'timescaledb'
timescaledb.telemetry_level = off
# TimescaleDB starts a job scheduler per database and the suite makes several test
# databases: with the default 8 worker processes no policy could ever start.
timescaledb.max_background_workers = 16
max_worker_processes = 24
max_connections = 200
shared_buffers = 512MB
fsync = on
CONF
  fi
  # Copied at every provision, so a change to the repository's file reaches an existing
  # cluster too (a running one reloads it below; these settings need no restart).
  cp "$ROOT/deploy/postgresql/write-path.conf" "$data/vitals-write-path.conf"
  # The port and the socket folder follow VITALS_LOCAL_*PG_PORT and where the checkout is
  # at every start, not what they were at initdb. Included last: it overrides the port
  # line that clusters made before this file carry in postgresql.conf.
  printf "port = %s\nunix_socket_directories = '%s'\n" "$PG_PORT" "$PG_DIR" >"$data/vitals-local.conf"
  local include
  for include in vitals-write-path.conf vitals-local.conf; do
    grep -q "^include_if_exists = '$include'" "$data/postgresql.conf" ||
      echo "include_if_exists = '$include'" >>"$data/postgresql.conf"
  done
  if pg_run "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    local running_port
    running_port=$(sed -n 4p "$data/postmaster.pid")
    # A restart would cut off whoever uses it; moving it is the operator's call.
    [ "$running_port" = "$PG_PORT" ] || die "PostgreSQL ($EDITION edition, $(display "$PG_DIR")) is running on port $running_port,
but $PG_PORT_VARIABLE asks for $PG_PORT. Either stop it (scripts/provision.sh stop) and run
again, which starts it on $PG_PORT, or set $PG_PORT_VARIABLE=$running_port to keep it there."
    pg_run "$PG_BIN/pg_ctl" -D "$data" reload >/dev/null
  else
    log "starting PostgreSQL ($EDITION edition) on 127.0.0.1:$PG_PORT"
    pg_run "$PG_BIN/pg_ctl" -D "$data" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null ||
      die "PostgreSQL did not start on port $PG_PORT; the end of $(display "$PG_DIR")/server.log:
$(tail -n 5 "$PG_DIR/server.log")"
  fi
}

display() { printf '%s' "${1#"$ROOT"/}"; }

# The Redis this checkout started, if it still runs: its pid (from its pid file), or nothing.
local_redis_pid() {
  local pid
  pid=$(cat "$LOCAL/redis/redis.pid" 2>/dev/null) || return 0
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = redis-server ] && echo "$pid"
  return 0
}

# Redis names its address in its process title: "redis-server 127.0.0.1:56379".
redis_port_of() {
  local title
  title=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 0
  [[ $title =~ :([0-9]+) ]] && printf '%s' "${BASH_REMATCH[1]}"
  return 0
}

start_redis() {
  mkdir -p "$LOCAL/redis"
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0
  local pid running_port
  pid=$(local_redis_pid)
  if [ -n "$pid" ]; then
    # A second server on the same AOF files would corrupt them.
    running_port=$(redis_port_of "$pid")
    die "Redis (.local/redis, pid $pid) is running on port ${running_port:-?}, but VITALS_LOCAL_REDIS_PORT
asks for $REDIS_PORT. Either stop it (scripts/provision.sh stop) and run again, which starts it
on $REDIS_PORT, or set VITALS_LOCAL_REDIS_PORT=${running_port:-its port} to keep it there."
  fi
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  # AOF with fsync every second and noeviction: an accepted beacon must never be evicted.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$LOCAL/redis" --daemonize yes \
    --appendonly yes --appendfsync everysec --maxmemory-policy noeviction \
    --logfile "$LOCAL/redis/server.log" --pidfile "$LOCAL/redis/redis.pid" --save ""
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "Redis did not answer on port $REDIS_PORT; the end of .local/redis/server.log:
$(tail -n 5 "$LOCAL/redis/server.log")"
}

ensure_services() {
  if [ -z "${VITALS_DATABASE_URL:-}" ]; then
    locate_postgres_files
    if [ "$EDITION" = timescale ]; then
      local fresh=no
      timescale_edition_built || fresh=yes
      ensure_timescale_edition
      start_postgres
      [ "$fresh" = yes ] && check_timescale_license
    else
      ensure_timescaledb
      start_postgres
    fi
  fi
  [ -z "${VITALS_REDIS_URL:-}" ] && start_redis
  return 0
}

write_env() {
  # A signing secret for local dashboard tokens, made once and kept out of git.
  [ -s "$LOCAL/jwt-secret" ] || (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(48))' >"$LOCAL/jwt-secret")
  # The URLs the Makefile and tests read; explicit environment variables win. One file
  # for both editions: it reads VITALS_EDITION when sourced. The Timescale edition has
  # its own cluster, and its own Redis databases on the shared server (1 for `make run`,
  # 14 for the suite), so both editions' stacks and suites can run side by side.
  cat >"$LOCAL/env.tmp" <<ENV
export VITALS_JWT_SECRET=\${VITALS_JWT_SECRET:-$(cat "$LOCAL/jwt-secret")}
export VITALS_LOCAL_PG_PORT=$APACHE_PG_PORT
export VITALS_LOCAL_TIMESCALE_PG_PORT=$TIMESCALE_PG_PORT
export VITALS_LOCAL_REDIS_PORT=$REDIS_PORT
if [ "\${VITALS_EDITION:-apache}" = timescale ]; then
  export VITALS_DATABASE_URL=\${VITALS_DATABASE_URL:-postgresql://postgres@127.0.0.1:$TIMESCALE_PG_PORT/vitals}
  export VITALS_REDIS_URL=\${VITALS_REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/1}
  export VITALS_TEST_REDIS_DB=\${VITALS_TEST_REDIS_DB:-14}
  export VITALS_TEST_PG_BIN=\${VITALS_TEST_PG_BIN:-$TIMESCALE_HOME/usr/lib/postgresql/$PG_MAJOR/bin}
else
  export VITALS_DATABASE_URL=\${VITALS_DATABASE_URL:-postgresql://postgres@127.0.0.1:$APACHE_PG_PORT/vitals}
  export VITALS_REDIS_URL=\${VITALS_REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}
fi
ENV
  mv "$LOCAL/env.tmp" "$LOCAL/env"  # whole, for anyone sourcing it meanwhile
}

# Stops every local server this checkout started, both editions' clusters included,
# whatever ports they were started on.
stop_services() {
  local data pid
  for data in "$LOCAL/pg/data" "$LOCAL/timescale/pg/data"; do
    data=$(readlink -m "$data")
    [ -f "$data/PG_VERSION" ] && pg_run "$SYSTEM_PG_BIN/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
  done
  pid=$(local_redis_pid)
  if [ -n "$pid" ]; then
    redis-cli -p "$(redis_port_of "$pid")" shutdown >/dev/null 2>&1 || true
    for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
  fi
  log "local PostgreSQL and Redis stopped"
}

# `make clean`: stops the servers and deletes .local/, with what it links to.
clean_local() {
  stop_services
  local name target
  for name in pg timescale; do
    [ -L "$LOCAL/$name" ] || continue
    target=$(readlink -m "$LOCAL/$name")
    rm -rf "$target"
    rmdir "$(dirname "$target")" 2>/dev/null || true  # the checkout's folder, once empty
  done
  rm -rf "$LOCAL"
}

main() {
  mkdir -p "$LOCAL"
  case "${1:-all}" in
    system) ensure_system_packages ;;
    python) ensure_python ;;
    node) ensure_node ;;
    services) ensure_services; write_env ;;
    stop) stop_services ;;
    clean) clean_local; return ;;
    all) ensure_system_packages; ensure_python; ensure_node; ensure_services; write_env ;;
    *) die "unknown step: $1" ;;
  esac
}

main "$@"
