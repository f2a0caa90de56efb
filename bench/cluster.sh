#!/usr/bin/env bash
# Cluster sizing on loopback (figures in docs/OPERATIONS.md), from any checkout beside ../shared:
# one exchange node with its SQLite ledger and in-memory budgets, then two cluster nodes sharing a
# throw-away Redis and PostgreSQL: node a alone, then a and b together. The shared bench's mock is
# the seller. Every service it needs it starts itself and stops by process id when it ends (or is
# stopped); every load is bounded (wrk -d under timeout). Each load also says where the machine's CPU
# went per request for one node: the exchange node, Redis, PostgreSQL (all its processes), the mock.
#
#   bench/cluster.sh [DURATION_S] [CONNS]     default 10 s per load, 50 connections
#   WARMUP=20   seconds of load on each node before it is measured (default 20: a cluster node's
#               code, Npgsql and StackExchange.Redis included, is still being compiled to its
#               optimised tier for about that long on two cores; 4 s measured the compiler too)
#
# Needs wrk (apt-get install wrk), node (for the mock), the .NET SDK; installs Redis and PostgreSQL
# from Debian when missing (as root). Results: bench/results/cluster-*/report.txt.
set -euo pipefail
duration=${1:-10}
conns=${2:-50}
warmup=${WARMUP:-20}
(( duration >= 1 && duration <= 60 && conns >= 2 && conns <= 500 )) || { echo "cluster: 1-60 s, 2-500 connections" >&2; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="$here/../shared/bench"
[ -d "$shared" ] || { echo "cluster: needs ../shared/bench beside the repository" >&2; exit 2; }
command -v wrk >/dev/null || { echo "cluster: needs wrk (apt-get install wrk)" >&2; exit 2; }

work="$(mktemp -d)"
out="$here/bench/results/cluster-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]+"${pids[@]}"}"; do wait "$p" 2>/dev/null || true; done
  (cd "$work/bench" 2>/dev/null && ./stop.sh mock >/dev/null 2>&1) || true
  declare -F stop_services >/dev/null && stop_services
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
. "$here/.ci/services.sh"

echo "building the exchange (Release) ..."
dotnet build "$here/src/Entrepot.Cli" -c Release -v quiet -nologo >/dev/null
dll="$here/src/Entrepot.Cli/bin/Release/net10.0/entrepot.dll"
cp -r "$shared" "$work/bench"
(cd "$work/bench" && ./start-mock.sh >/dev/null)
# A fresh Redis and PostgreSQL for this run only (ENTREPOT_TEST_REDIS / _POSTGRES already set are used as they are).
start_redis
start_postgres
pg_port=$(sed -E 's/.*Port=([0-9]+).*/\1/' <<<"$ENTREPOT_TEST_POSTGRES")
db="bench_$$"
psql -h 127.0.0.1 -p "$pg_port" -U entrepot -d postgres -qc "create database $db"
key="ent-bench-key-0123456789abcdef"
export DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1

conf() { # node port cluster(0/1)
  python3 - "$1" "$2" "$3" "$work" "$key" "$ENTREPOT_TEST_REDIS" "Host=127.0.0.1;Port=$pg_port;Username=entrepot;Database=$db" <<'PY'
import json, sys
node, port, cluster, work, key, redis, pg = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", *sys.argv[4:]
x = {"jurisdiction": "DE", "port": port, "signing_key_dir": f"{work}/key"}
if cluster:
    x["ledger"] = {"store": "postgres", "connection": pg}
    x["cluster"] = {"redis": redis, "node_id": node, "nodes": 2, "prefix": "bench:"}
c = {"exchange": x,
     "accounts": [{"id": "buyer", "keys": [key], "budget": {"amount": 1000000, "currency": "USD", "period": "month"},
                   "limits": {"requests_per_minute": 100000000}}],
     "providers": [{"id": "mock", "kind": "openai", "base_url": "http://127.0.0.1:18080/v1", "jurisdiction": "US",
                    "models": ["gpt-4o-mini"], "price": {"input": 0.15, "output": 0.6}}]}
json.dump(c, open(f"{work}/{node}.json", "w"))
PY
}
wait_port() { for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }
start() { # node port
  dotnet "$dll" exchange --config "$work/$1.json" --data-dir "$work/$1" >"$out/$1.log" 2>&1 &
  pids+=($!)
  wait_port "$2" || { cat "$out/$1.log"; exit 1; }
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
load() { # port conns seconds -> "rps non2xx"
  BODY_FILE="$work/bench/bench/body.json" timeout -k 5 $(($3 + 30)) wrk -t1 -c"$2" -d"$3"s -s "$work/bench/bench/post.lua" \
    -H "Authorization: Bearer $key" "http://127.0.0.1:$1/v1/chat/completions" \
    | awk '/Requests\/sec/ {r=$2} /Non-2xx/ {n=$4} END {printf "%s req/s, non-2xx %s", r, (n == "" ? 0 : n)}'
}

say() { echo "$*" | tee -a "$out/report.txt"; }
# Where the machine's CPU goes per request: utime + stime of every process (all threads) of a part.
ticks() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}'))); done; echo "$t"; }
pg_pids() { local pm; pm=$(head -1 "${services_pg_dir:-/nonexistent}/data/postmaster.pid" 2>/dev/null) || return 0; echo "$pm $(pgrep -P "$pm" | tr '\n' ' ')"; }
mock_pid() { cat "$work/bench/run/mock.pid" 2>/dev/null; }
snapshot() { echo "$(ticks "$@") $(ticks ${services_redis_pid:-}) $(ticks $(pg_pids)) $(ticks $(mock_pid))"; }
cpu_per_request() { # before after requests -> text
  awk -v b="$1" -v a="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    split(b, x, " "); split(a, y, " "); u = 1e6 / hz / n
    printf "CPU per request: exchange %.0f us, Redis %.0f us, PostgreSQL %.0f us, mock %.0f us", (y[1]-x[1])*u, (y[2]-x[2])*u, (y[3]-x[3])*u, (y[4]-x[4])*u }'
}
say "commit $(git -C "$here" rev-parse --short HEAD)$(git -C "$here" diff --quiet || echo '+changes'), $(nproc) cpus, $conns connections, $duration s a load"
conf single 18610 0
start single 18610
load 18610 "$conns" "$warmup" >/dev/null
before=$(snapshot "${pids[-1]}")
result=$(load 18610 "$conns" "$duration")
say "single node (SQLite ledger, budgets and limits in memory): $result; $(cpu_per_request "$before" "$(snapshot "${pids[-1]}")" "$(awk -v d="$duration" '{printf "%d", $1 * d}' <<<"$result")")"
stop "${pids[-1]}"

conf a 18611 1
conf b 18612 1
start a 18611
pa=${pids[-1]}
start b 18612
pb=${pids[-1]}
load 18611 "$conns" "$warmup" >/dev/null
load 18612 "$conns" "$warmup" >/dev/null
before=$(snapshot "$pa")
result=$(load 18611 "$conns" "$duration")
say "cluster node a alone (PostgreSQL ledger, Redis budgets and limits): $result; $(cpu_per_request "$before" "$(snapshot "$pa")" "$(awk -v d="$duration" '{printf "%d", $1 * d}' <<<"$result")")"
load 18611 $((conns / 2)) "$duration" >"$work/a.txt" &
la=$!
load 18612 $((conns / 2)) "$duration" >"$work/b.txt" &
lb=$!
wait "$la" "$lb"
say "cluster nodes a and b together ($((conns / 2)) connections each): a $(cat "$work/a.txt"); b $(cat "$work/b.txt")"
stop "$pa"
stop "$pb"
say "ledger entries written by the cluster: $(psql -h 127.0.0.1 -p "$pg_port" -U entrepot -d "$db" -tAc 'select count(*) from ledger')"
echo "results in $out"
