#!/usr/bin/env bash
# Runs the whole test suite: restores, builds and runs every test project, then prints one
# summary line "N passed, N failed, N skipped". Tests find the model in ../shared/models.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
results="$(mktemp -d)"
pg_dir=""
redis_pid=""
trap 'declare -F stop_postgres >/dev/null && stop_postgres; declare -F stop_redis >/dev/null && stop_redis' EXIT

# Debian's Chromium for the dashboard tests (driven by Playwright), installed once if missing.
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing chromium (Debian) for the dashboard tests ..."
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
      || { echo "test.sh: could not install chromium with apt-get" >&2; exit 1; }
  else
    echo "test.sh: the dashboard tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1
  fi
fi

# A real Redis for the cluster tests: Debian's redis-server (installed once if missing) on a free
# loopback port, without persistence, stopped when the tests end. ENTREPOT_TEST_REDIS set is used as is.
stop_redis() { [ -z "$redis_pid" ] || kill "$redis_pid" 2>/dev/null || true; }
if [ -z "${ENTREPOT_TEST_REDIS:-}" ]; then
  if ! command -v redis-server >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing redis-server (Debian) for the cluster tests ..."
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; } >/dev/null 2>&1 \
        || { echo "test.sh: could not install redis-server with apt-get" >&2; exit 1; }
    else
      echo "test.sh: the cluster tests need redis-server: sudo apt-get install redis-server" >&2; exit 1
    fi
  fi
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
  command -v initdb >/dev/null && command -v pg_ctl >/dev/null || { echo "test.sh: PostgreSQL 15 (initdb, pg_ctl) is needed on the PATH" >&2; exit 1; }
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
dotnet build Entrepot.slnx -c Release -v quiet -nologo || exit 1
dotnet test Entrepot.slnx -c Release --no-build -nologo --logger "trx" --results-directory "$results" 2>&1 | tee "$results/out.txt"
status=${PIPESTATUS[0]}
sum() { grep -ho "<Counters [^>]*" "$results"/*.trx 2>/dev/null | grep -oP "(?<= $1=\")\\d+" | awk '{s+=$1} END {print s+0}'; }
passed=$(sum passed)
failed=$(sum failed)
total=$(sum total)
executed=$(sum executed)
skipped=$(( ${total:-0} - ${executed:-0} ))
echo
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped} skipped"
exit $status
