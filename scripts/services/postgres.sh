#!/usr/bin/env bash
# Throwaway PostgreSQL (+ pgvector) cluster for tests.
#
#   scripts/services/postgres.sh start   # prints postgres://postgres@127.0.0.1:PORT/semla
#   scripts/services/postgres.sh url     # prints the URL of the running cluster
#   scripts/services/postgres.sh stop    # stops it and deletes its data dir (no-op if none)
#
# Only the URL goes to stdout; logs go to stderr, so:  URL="$(scripts/services/postgres.sh start)"
# State (data dir, port, URL) lives in <repo>/.cache/services/postgres.env (git-ignored).
# The cluster is created with initdb -A trust in a fresh temp dir; as root it runs as
# the `postgres` user (PostgreSQL refuses to run as root). It listens on 127.0.0.1 only,
# with its unix socket inside the temp dir.
#
# Environment: PGPORT (port to use; default: a free port), PG_MAJOR (default 15).
# Needs pgvector: run scripts/services/install-pgvector.sh first.
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-15}"
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
DB_NAME=semla
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="$REPO_ROOT/.cache/services"
STATE_FILE="$STATE_DIR/postgres.env"

# The server, initdb and psql all read libpq's PG* variables (an empty PGPORT
# even makes initdb fail); everything below is passed explicitly instead.
REQ_PORT="${PGPORT:-}"
unset PGPORT PGHOST PGHOSTADDR PGUSER PGDATABASE PGDATA PGOPTIONS PGSERVICE PGSSLMODE PGCONNECT_TIMEOUT

log() { printf '[postgres] %s\n' "$*" >&2; }
die() { printf '[postgres] ERROR: %s\n' "$*" >&2; exit 1; }

# Run a PostgreSQL server binary as the cluster owner.
as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

psql_q() { # psql_q PORT DB SQL
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d "$2" -c "$3" >&2
}

is_running() { # uses PG_DATA from the state file
  [[ -n "${PG_DATA:-}" && -f "$PG_DATA/postmaster.pid" ]] || return 1
  local pid state
  pid="$(head -n1 "$PG_DATA/postmaster.pid")"
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/stat" ]] || return 1
  # A killed postmaster can linger as a zombie (e.g. in containers whose PID 1
  # does not reap); pg_ctl status would still call that "running".
  state="$(sed -E 's/^.*\) //' "/proc/$pid/stat" | cut -d' ' -f1)"
  [[ "$state" != Z ]] || return 1
  as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

load_state() {
  PG_ROOT='' PG_DATA='' PG_PORT='' PG_URL=''
  [[ -f "$STATE_FILE" ]] || return 1
  # shellcheck disable=SC1090
  source "$STATE_FILE"
}

port_in_use() { # true if something accepts connections on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
  local p
  if command -v node >/dev/null 2>&1; then
    p="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})' 2>/dev/null)" || p=''
    [[ "$p" =~ ^[0-9]+$ ]] && ! port_in_use "$p" && { echo "$p"; return; }
  fi
  for ((p = 54320 + RANDOM % 1000; p < 65000; p++)); do
    port_in_use "$p" || { echo "$p"; return; }
  done
  die "no free TCP port found"
}

cleanup_dir() { # delete only directories this script created
  case "$1" in
    */semla-pg.*) rm -rf -- "$1" ;;
    *) [[ -z "$1" ]] || log "not deleting unexpected dir '$1'" ;;
  esac
}

cmd_stop() {
  if ! load_state; then
    log "not running (no $STATE_FILE)"
    return 0
  fi
  if is_running; then
    log "stopping cluster on port $PG_PORT"
    as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >&2 \
      || as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >&2 || true
  fi
  cleanup_dir "$PG_ROOT"
  rm -f "$STATE_FILE"
  log "stopped; removed $PG_ROOT"
}

cmd_url() {
  load_state && is_running || die "not running (start it with: $0 start)"
  echo "$PG_URL"
}

cmd_start() {
  if load_state; then
    if is_running; then
      log "already running on port $PG_PORT (data $PG_DATA)"
      echo "$PG_URL"
      return 0
    fi
    log "removing stale state from a previous run"
    cleanup_dir "$PG_ROOT"
    rm -f "$STATE_FILE"
  fi

  [[ -x "$PG_BIN/initdb" ]] || die "$PG_BIN/initdb not found (apt-get install -y postgresql-$PG_MAJOR, or run scripts/services/install-pgvector.sh)"
  local share
  share="$("$PG_BIN/pg_config" --sharedir 2>/dev/null || echo "/usr/share/postgresql/$PG_MAJOR")"
  [[ -f "$share/extension/vector.control" ]] || die "pgvector is not installed for PostgreSQL $PG_MAJOR (run scripts/services/install-pgvector.sh)"
  if [[ "$(id -u)" -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run the server as"
  fi

  local port="$REQ_PORT"
  if [[ -n "$port" ]]; then
    [[ "$port" =~ ^[0-9]+$ ]] || die "PGPORT='$port' is not a port number"
    ! port_in_use "$port" || die "PGPORT=$port is already in use on 127.0.0.1"
  else
    port="$(free_port)"
  fi

  local root data
  root="$(mktemp -d "${TMPDIR:-/tmp}/semla-pg.XXXXXX")"
  data="$root/data"
  chmod 755 "$root"
  [[ "$(id -u)" -ne 0 ]] || chown postgres: "$root"

  mkdir -p "$STATE_DIR"
  # Write state first so `stop` can clean up even if start fails half-way.
  local url="postgres://postgres@127.0.0.1:${port}/${DB_NAME}"
  printf 'PG_ROOT=%q\nPG_DATA=%q\nPG_PORT=%q\nPG_URL=%q\n' "$root" "$data" "$port" "$url" >"$STATE_FILE"
  PG_ROOT="$root" PG_DATA="$data" PG_PORT="$port" PG_URL="$url"

  log "initdb $data"
  as_owner "$PG_BIN/initdb" -D "$data" -A trust -U postgres -E UTF8 --no-locale --no-sync >"$root/initdb.log" 2>&1 \
    || { cat "$root/initdb.log" >&2; cmd_stop; die "initdb failed"; }

  log "starting on 127.0.0.1:$port"
  # fsync=off etc.: throwaway test data, durability not needed.
  if ! as_owner "$PG_BIN/pg_ctl" -D "$data" -l "$root/postgres.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$root -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null 2>&1; then
    tail -n 30 "$root/postgres.log" >&2 || true
    cmd_stop
    die "postgres did not start (log above)"
  fi

  if ! { psql_q "$port" postgres "CREATE DATABASE $DB_NAME" &&
    psql_q "$port" "$DB_NAME" "CREATE EXTENSION IF NOT EXISTS vector"; }; then
    cmd_stop
    die "could not create database $DB_NAME with the vector extension"
  fi
  log "ready: $url (pgvector $("$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$port" -U postgres -d "$DB_NAME" -c "select extversion from pg_extension where extname='vector'"))"
  echo "$url"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  url) cmd_url ;;
  *)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
