# Throw-away services for the tests and the benchmarks, sourced by test.sh and bench/*.sh:
#   apt_install WHY PACKAGE...   installs Debian packages (as root, once); on failure shows apt-get's last lines
#   start_redis                  a Redis on a free loopback port, no persistence: exports ENTREPOT_TEST_REDIS
#   start_postgres               a PostgreSQL cluster in a temporary directory: exports ENTREPOT_TEST_POSTGRES
#   stop_services                stops only what the two started (by process id and data directory)
# A variable already set is used as is and nothing is started for it. Ports are taken below Linux's
# ephemeral range (32768-60999), where an outgoing connection cannot hold them; a port taken anyway
# is skipped, and a start that still fails moves on to the next port.
services_log="$(mktemp -d /tmp/entrepot-services.XXXXXX)"
services_redis_pid=""
services_pg_dir=""
services_as_pg=""
apt_updated=""

apt_install() {
  local why="$1"; shift
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "$(basename "$0"): $why need $*: sudo apt-get install $*" >&2; exit 1
  fi
  echo "installing $* (Debian) for $why ..."
  local log="$services_log/apt.log"
  if { [ -n "$apt_updated" ] || apt-get update -qq; } >"$log" 2>&1 && apt_updated=1 \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$log" 2>&1; then
    return 0
  fi
  echo "$(basename "$0"): could not install $* with apt-get; its last lines:" >&2
  tail -n 20 "$log" >&2
  exit 1
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_redis() {
  [ -z "${ENTREPOT_TEST_REDIS:-}" ] || return 0
  command -v redis-server >/dev/null || apt_install "the cluster tests" redis-server
  local port=26379
  for _ in $(seq 1 20); do
    while port_taken "$port"; do port=$((port + 1)); done
    redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize no >"$services_log/redis.log" 2>&1 &
    services_redis_pid=$!
    for _ in $(seq 1 50); do port_taken "$port" && break; kill -0 "$services_redis_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$services_redis_pid" 2>/dev/null && break
    port=$((port + 1))
  done
  kill -0 "$services_redis_pid" 2>/dev/null || { cat "$services_log/redis.log"; exit 1; }
  export ENTREPOT_TEST_REDIS="127.0.0.1:$port"
  echo "Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$port"
}

start_postgres() {
  [ -z "${ENTREPOT_TEST_POSTGRES:-}" ] || return 0
  # Debian keeps initdb and pg_ctl under /usr/lib/postgresql/<version>/bin, off the PATH.
  pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
  if ! command -v initdb >/dev/null || ! command -v pg_ctl >/dev/null; then
    if [ -z "$(pg_bin)" ]; then
      # Installing Debian's server must not create and start a "main" cluster of its own: only a
      # throw-away one is started here, and only what was started is stopped.
      if [ "$(id -u)" = 0 ]; then
        mkdir -p /etc/postgresql-common
        local conf=/etc/postgresql-common/createcluster.conf
        if grep -q '^ *create_main_cluster' "$conf" 2>/dev/null; then
          sed -i 's/^ *create_main_cluster.*/create_main_cluster = false/' "$conf"
        else
          echo "create_main_cluster = false" >>"$conf"
        fi
      fi
      apt_install "the storage and cluster tests" postgresql
    fi
    [ -n "$(pg_bin)" ] || { echo "$(basename "$0"): PostgreSQL's initdb and pg_ctl were not found (looked on the PATH and in /usr/lib/postgresql/*/bin)" >&2; exit 1; }
    export PATH="$(pg_bin):$PATH"
  fi
  # initdb refuses to run as root, so as root the cluster belongs to the postgres user.
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    services_as_pg="runuser -u postgres --"
  fi
  services_pg_dir="$(mktemp -d /tmp/entrepot-pg.XXXXXX)"
  [ -z "$services_as_pg" ] || chown postgres "$services_pg_dir"
  $services_as_pg initdb -D "$services_pg_dir/data" -U entrepot --auth=trust -E UTF8 --locale=C >"$services_pg_dir/initdb.log" 2>&1 \
    || { cat "$services_pg_dir/initdb.log"; exit 1; }
  local port=25432 started=""
  for _ in $(seq 1 20); do
    while port_taken "$port"; do port=$((port + 1)); done
    # fsync off: a cluster thrown away after the run need not survive a power cut.
    if $services_as_pg pg_ctl -D "$services_pg_dir/data" -l "$services_pg_dir/postgres.log" -w \
      -o "-h 127.0.0.1 -p $port -k $services_pg_dir -c fsync=off -c max_connections=200" start >/dev/null; then
      started=1
      break
    fi
    port=$((port + 1))
  done
  [ -n "$started" ] || { cat "$services_pg_dir/postgres.log"; exit 1; }
  export ENTREPOT_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=entrepot;Database=postgres"
  echo "PostgreSQL $(postgres --version | awk '{print $3}') on 127.0.0.1:$port"
}

stop_services() {
  if [ -n "$services_pg_dir" ]; then
    $services_as_pg pg_ctl -D "$services_pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$services_pg_dir"
    services_pg_dir=""
  fi
  if [ -n "$services_redis_pid" ]; then
    kill "$services_redis_pid" 2>/dev/null || true
    wait "$services_redis_pid" 2>/dev/null || true
    services_redis_pid=""
  fi
  rm -rf "$services_log"
}
