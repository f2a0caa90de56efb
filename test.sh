#!/usr/bin/env bash
# Runs the whole test suite: restores, builds and runs every test project, then prints one
# summary line "N passed, N failed, N skipped". Tests find the model in ../shared/models.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
results="$(mktemp -d)"
pg_dir=""
redis_pid=""
trap 'declare -F stop_postgres >/dev/null && stop_postgres; declare -F stop_redis >/dev/null && stop_redis; rm -rf "$results"' EXIT
# Stopped by a signal, it still stops what it started (the EXIT trap runs on exit, not on a signal).
trap 'exit 143' TERM
trap 'exit 130' INT

# Installs Debian packages the tests need (as root, once); on failure shows apt-get's last lines.
apt_updated=""
apt_install() {
  local why="$1"; shift
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "test.sh: $why need $*: sudo apt-get install $*" >&2; exit 1
  fi
  echo "installing $* (Debian) for $why ..."
  local log="$results/apt.log"
  if { [ -n "$apt_updated" ] || apt-get update -qq; } >"$log" 2>&1 && apt_updated=1 \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$log" 2>&1; then
    return 0
  fi
  echo "test.sh: could not install $* with apt-get; its last lines:" >&2
  tail -n 20 "$log" >&2
  exit 1
}

# Debian's Chromium for the dashboard tests (driven by Playwright), installed once if missing.
command -v chromium >/dev/null || apt_install "the dashboard tests" chromium
# The embedded engine's llama.cpp library needs GNU OpenMP (not in a minimal Debian).
/sbin/ldconfig -p 2>/dev/null | grep -q 'libgomp\.so\.1' || apt_install "the embedded engine" libgomp1

# A real Redis for the cluster tests: Debian's redis-server (installed once if missing) on a free
# loopback port, without persistence, stopped when the tests end. ENTREPOT_TEST_REDIS set is used as is.
stop_redis() { [ -z "$redis_pid" ] || kill "$redis_pid" 2>/dev/null || true; }
if [ -z "${ENTREPOT_TEST_REDIS:-}" ]; then
  command -v redis-server >/dev/null || apt_install "the cluster tests" redis-server
  # Ports below Linux's ephemeral range (32768-60999), where an outgoing connection cannot hold them;
  # a port taken anyway is skipped, and a start that still fails moves on to the next port.
  redis_port=26379
  for _ in $(seq 1 20); do
    while (exec 3<>/dev/tcp/127.0.0.1/$redis_port) 2>/dev/null; do redis_port=$((redis_port + 1)); done
    redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --daemonize no >"$results/redis.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$redis_port) 2>/dev/null && break; kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$redis_pid" 2>/dev/null && break
    redis_port=$((redis_port + 1))
  done
  kill -0 "$redis_pid" 2>/dev/null || { cat "$results/redis.log"; exit 1; }
  export ENTREPOT_TEST_REDIS="127.0.0.1:$redis_port"
  echo "Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) for the tests on 127.0.0.1:$redis_port"
fi

# A real PostgreSQL for the storage tests: a throw-away cluster in a temporary directory on a free
# loopback port, stopped and removed when the tests end. An ENTREPOT_TEST_POSTGRES already set is used
# as is. initdb refuses to run as root, so as root the cluster belongs to the postgres user.
stop_postgres() {
  if [ -n "$pg_dir" ]; then
    $as_pg pg_ctl -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}
if [ -z "${ENTREPOT_TEST_POSTGRES:-}" ]; then
  # Debian keeps initdb and pg_ctl under /usr/lib/postgresql/<version>/bin, off the PATH.
  pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
  if ! command -v initdb >/dev/null || ! command -v pg_ctl >/dev/null; then
    if [ -z "$(pg_bin)" ]; then
      # Installing Debian's server must not create and start a "main" cluster of its own: the tests
      # start a throw-away one and stop only what they started.
      if [ "$(id -u)" = 0 ]; then
        mkdir -p /etc/postgresql-common
        conf=/etc/postgresql-common/createcluster.conf
        if grep -q '^ *create_main_cluster' "$conf" 2>/dev/null; then
          sed -i 's/^ *create_main_cluster.*/create_main_cluster = false/' "$conf"
        else
          echo "create_main_cluster = false" >>"$conf"
        fi
      fi
      apt_install "the storage and cluster tests" postgresql
    fi
    [ -n "$(pg_bin)" ] || { echo "test.sh: PostgreSQL's initdb and pg_ctl were not found (looked on the PATH and in /usr/lib/postgresql/*/bin)" >&2; exit 1; }
    export PATH="$(pg_bin):$PATH"
  fi
  as_pg=""
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    as_pg="runuser -u postgres --"
  fi
  pg_dir="$(mktemp -d /tmp/entrepot-pg.XXXXXX)"
  [ -z "$as_pg" ] || chown postgres "$pg_dir"
  $as_pg initdb -D "$pg_dir/data" -U entrepot --auth=trust -E UTF8 --locale=C >"$pg_dir/initdb.log" 2>&1 || { cat "$pg_dir/initdb.log"; exit 1; }
  pg_port=25432
  pg_started=""
  for _ in $(seq 1 20); do
    while (exec 3<>/dev/tcp/127.0.0.1/$pg_port) 2>/dev/null; do pg_port=$((pg_port + 1)); done
    # fsync off: a test cluster thrown away after the run need not survive a power cut.
    if $as_pg pg_ctl -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -o "-h 127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c max_connections=200" start >/dev/null; then
      pg_started=1
      break
    fi
    pg_port=$((pg_port + 1))
  done
  [ -n "$pg_started" ] || { cat "$pg_dir/postgres.log"; exit 1; }
  export ENTREPOT_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=entrepot;Database=postgres"
  echo "PostgreSQL $(postgres --version | awk '{print $3}') for the tests on 127.0.0.1:$pg_port"
fi
if ! dotnet build Entrepot.slnx -c Release -v quiet -nologo; then
  echo
  echo "0 passed, 1 failed, 0 skipped (the build failed: see the errors above)"
  exit 1
fi
# A test that hangs is stopped after 10 minutes (a whole run takes a few): the runner names it and
# writes a dump, whose managed stacks are printed below.
dotnet test Entrepot.slnx -c Release --no-build -nologo --logger "trx" --results-directory "$results" \
  --blame-hang-timeout 10m --blame-hang-dump-type mini 2>&1 | tee "$results/out.txt"
status=${PIPESTATUS[0]}
# (the runner keeps a copy of each dump beside the trx file: one of each name is enough)
dumps=$(find "$results" -name '*.dmp' 2>/dev/null | awk -F/ '!seen[$NF]++')
hung=$(printf '%s' "$dumps" | grep -c . || true)
if [ -n "$dumps" ]; then
  echo
  echo "== a test hung: the runner's dump, as managed stacks =="
  dotnet_dump=$(command -v dotnet-dump || true)
  if [ -z "$dotnet_dump" ] && dotnet tool install dotnet-dump --tool-path "$results/tools" >/dev/null 2>&1; then
    dotnet_dump="$results/tools/dotnet-dump"
  fi
  for d in $dumps; do
    echo "-- $d"
    if [ -n "$dotnet_dump" ]; then
      "$dotnet_dump" analyze "$d" -c "clrstack -all" -c "exit" 2>&1 | grep -v '^\s*$' | head -n 2000
    else
      echo "(dotnet-dump could not be installed to read it)"
    fi
  done
  status=1
fi
sum() { grep -ho "<Counters [^>]*" "$results"/*.trx 2>/dev/null | grep -oP "(?<= $1=\")\\d+" | awk '{s+=$1} END {print s+0}'; }
passed=$(sum passed)
failed=$(sum failed)
total=$(sum total)
executed=$(sum executed)
skipped=$(( ${total:-0} - ${executed:-0} ))
note=""
if [ "$status" != 0 ] && [ $(( ${failed:-0} + hung )) = 0 ]; then
  failed=1; note=" (a test run was aborted: see above)" # a crashed test host leaves no failed count
fi
echo
# A hung test is not in the trx counts (its run was aborted): it counts as failed here.
echo "${passed:-0} passed, $(( ${failed:-0} + hung )) failed, ${skipped} skipped$note"
exit $status
