#!/usr/bin/env bash
# Throw-away PostgreSQL for tests and benchmarks (Debian's postgresql package).
#
#   eval "$(scripts/pg-test-server.sh start)"     # exports TEST_DATABASE_URL, PG_TEST_DIR, PG_TEST_STOP
#   trap 'eval "$PG_TEST_STOP"' EXIT              # tear down (stops the server, deletes the dir)
#   scripts/pg-test-server.sh stop "$PG_TEST_DIR" # the same, explicitly
#
# start: initdb in a fresh temp dir, start postgres on a free port bound to 127.0.0.1 only
#        (unix socket inside the temp dir), create database mediator_test owned by user
#        "mediator" (trust auth: loopback test server only), wait until it accepts connections,
#        and print shell assignments on stdout. Everything else goes to stderr.
#        As root, the server runs as the "postgres" system user (postgres refuses to run as root).
# stop:  pg_ctl stop -m fast, then remove the dir. Safe to call twice.
# down/up: stop the server (pg_ctl stop -m fast) and start it again on the same port and data,
#        for tests of the database going away (start exports them as PG_TEST_DOWN, PG_TEST_UP).
#
# Environment: PG_BIN (default: newest /usr/lib/postgresql/*/bin, else `pg_config --bindir`),
# PG_TEST_FAST=1 turns fsync/synchronous_commit off (faster tests; not for benchmarks).
# Install the server with: apt-get update && apt-get install -y postgresql
set -euo pipefail

log() { echo "pg-test-server: $*" >&2; }

find_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return; fi
  local newest
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n "$newest" && -x "$newest/initdb" ]]; then echo "$newest"; return; fi
  if command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/initdb" ]]; then pg_config --bindir; return; fi
  log "no PostgreSQL server binaries found; install them: apt-get install -y postgresql"
  exit 2
}

# run a command as the server's user: postgres when we are root, else ourselves
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

start() {
  local bin dir port attempt opts
  bin=$(find_bin)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/pg-test.XXXXXX")
  chmod 700 "$dir"
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || { log "running as root but there is no 'postgres' user to run the server as"; exit 2; }
    chown postgres: "$dir"
  fi
  as_owner "$bin/initdb" -D "$dir/data" -U mediator --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || as_owner "$bin/initdb" -D "$dir/data" -U mediator --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { log "initdb failed:"; cat "$dir/initdb.log" >&2; exit 1; }
  opts="-c listen_addresses=127.0.0.1 -k $dir -c max_connections=400"
  if [[ "${PG_TEST_FAST:-0}" == "1" ]]; then opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"; fi
  # the port can be taken between choosing and binding it: try a few
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "-p $port $opts" start >/dev/null 2>&1; then
      as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U mediator mediator_test
      echo "-p $port $opts" >"$dir/server.opts" # for `up`
      log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $dir"
      echo "export TEST_DATABASE_URL=postgres://mediator@127.0.0.1:$port/mediator_test"
      echo "export PG_TEST_DIR=$dir"
      echo "export PG_TEST_STOP='$(cd "$(dirname "$0")" && pwd)/pg-test-server.sh stop $dir'"
      echo "export PG_TEST_DOWN='$(cd "$(dirname "$0")" && pwd)/pg-test-server.sh down $dir'"
      echo "export PG_TEST_UP='$(cd "$(dirname "$0")" && pwd)/pg-test-server.sh up $dir'"
      return 0
    fi
    log "start on port $port failed (attempt $attempt)"
  done
  log "could not start postgres; server log:"
  cat "$dir/server.log" >&2 || true
  exit 1
}

stop() {
  local dir=${1:-${PG_TEST_DIR:-}}
  [[ -n "$dir" ]] || { log "usage: $0 stop DIR"; exit 2; }
  [[ -d "$dir" ]] || return 0
  case "$dir" in */pg-test.*) ;; *) log "refusing to remove $dir: not a pg-test dir"; exit 2 ;; esac
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    as_owner "$(find_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

# the server of a pg-test dir made by start, stopped (down) or started again as before (up)
down() {
  local dir=${1:?usage: down DIR}
  as_owner "$(find_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

up() {
  local dir=${1:?usage: up DIR}
  as_owner "$(find_bin)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "$(cat "$dir/server.opts")" start >/dev/null
}

case "${1:-}" in
  start) start ;;
  stop) shift; stop "${1:-}" ;;
  down) shift; down "${1:-}" ;;
  up) shift; up "${1:-}" ;;
  *) echo "usage: $0 start | stop DIR | down DIR | up DIR" >&2; exit 2 ;;
esac
