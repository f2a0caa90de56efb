#!/usr/bin/env bash
# The exchange against the bare relay (bench/BareRelay) on the same machine, in the same run: what
# the exchange costs above a relay that does nothing else is its own work, a figure that holds on any
# host where absolute requests/s do not. Loopback only; every load is bounded (wrk -d under timeout).
#
#   bench/vs-bare.sh [ROUNDS] [DURATION_S] [CONNS]      default 3 rounds, 8 s, 50 connections
#   BASE_DLL=/path/to/other/entrepot.dll bench/vs-bare.sh   also a second exchange build (say, main
#                                                           before a change), alternated in the same rounds
#   MODES="nonstream stream" bench/vs-bare.sh               streaming too (default: nonstream)
#
# Per round: the bare relay, then the exchange (then the base build), each after its own warm-up, all
# in front of the shared harness's mock (../shared/bench). Prints every round, then the medians and
# the ratios last. Needs wrk (apt-get install wrk), node, the .NET SDK. Results: bench/results/vs-bare-*/.
set -euo pipefail
rounds=${1:-3}
duration=${2:-8}
conns=${3:-50}
modes=${MODES:-nonstream}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="$here/../shared/bench"
[ -d "$shared" ] || { echo "vs-bare: needs ../shared/bench beside the repository" >&2; exit 2; }
command -v wrk >/dev/null || { echo "vs-bare: needs wrk (apt-get install wrk)" >&2; exit 2; }
(( rounds >= 1 && rounds <= 10 && duration >= 1 && duration <= 60 && conns >= 1 && conns <= 500 )) \
  || { echo "vs-bare: 1-10 rounds, 1-60 s, 1-500 connections" >&2; exit 2; }
if [ -n "${BASE_DLL:-}" ] && [ ! -f "$BASE_DLL" ]; then echo "vs-bare: no such BASE_DLL $BASE_DLL" >&2; exit 2; fi

work="$(mktemp -d)"
cp -r "$shared" "$work/bench"
mkdir -p "$work/bench/results"
out="$here/bench/results/vs-bare-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done
  (cd "$work/bench" && ./stop.sh mock >/dev/null 2>&1) || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "building the exchange and the bare relay (Release) ..."
dotnet build "$here/src/Entrepot.Cli" -c Release -v quiet -nologo >/dev/null
dotnet build "$here/bench/BareRelay" -c Release -v quiet -nologo >/dev/null
(cd "$work/bench" && ./start-mock.sh >/dev/null)
key="ent-bench-key-0123456789abcdef"
export DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1

wait_port() { for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }
start_exchange() { # name dll port
  dotnet "$2" exchange --upstream http://127.0.0.1:18080/v1 --model gpt-4o-mini --api-key "$key" \
    --port "$3" --data-dir "$work/$1-data" >"$out/$1.log" 2>&1 &
  pids+=($!)
  echo $! >"$work/$1.pid"
  wait_port "$3" || { cat "$out/$1.log"; exit 1; }
}
dotnet "$here/bench/BareRelay/bin/Release/net10.0/BareRelay.dll" http://127.0.0.1:18080/v1/ 18560 "$key" >"$out/bare.log" 2>&1 &
pids+=($!)
echo $! >"$work/bare.pid"
wait_port 18560 || { cat "$out/bare.log"; exit 1; }
start_exchange exchange "$here/src/Entrepot.Cli/bin/Release/net10.0/entrepot.dll" 18561
targets=(bare exchange)
declare -A port=([bare]=18560 [exchange]=18561 [base]=18562)
if [ -n "${BASE_DLL:-}" ]; then
  start_exchange base "$BASE_DLL" 18562
  targets+=(base)
fi
echo "commit $(git -C "$here" rev-parse --short HEAD)$(git -C "$here" diff --quiet || echo '+changes'), $(nproc) cpus, $conns connections, $rounds rounds of $duration s" | tee "$out/config.txt"

for mode in $modes; do
  for r in $(seq 1 "$rounds"); do
    for t in "${targets[@]}"; do
      (cd "$work/bench" && ./bench.sh -n "$t-$mode-r$r" -u "http://127.0.0.1:${port[$t]}/v1/chat/completions" \
        -H "Authorization: Bearer $key" -p "$(cat "$work/$t.pid")" -m "$mode" -c "$conns" -d "$duration" -r 1 -w 3 -T 0 \
        -o "$out/$t-$mode-r$r" | grep -E 'req/s' || true)
    done
  done
done

# summary.tsv columns: 6 rps, 8 p50_ms, 10 p99_ms, 17 non2xx, 18 cpu us/req, 19 peak RSS MB
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "NA"} else if (NR%2) {print a[(NR+1)/2]} else {printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}}'; }
col() { # target mode column
  for d in "$out/$1-$2-r"*; do awk -F'\t' -v c="$3" 'NR==2 {print $c}' "$d/summary.tsv"; done
}
{
  echo
  echo "medians of $rounds alternated rounds ($conns connections, $duration s each):"
  printf "  %-9s %-9s %10s %12s %9s %9s %9s\n" target mode "req/s" "cpu us/req" "p50 ms" "p99 ms" "peak MB"
  for mode in $modes; do
    for t in "${targets[@]}"; do
      printf "  %-9s %-9s %10s %12s %9s %9s %9s\n" "$t" "$mode" "$(col "$t" "$mode" 6 | median)" "$(col "$t" "$mode" 18 | median)" \
        "$(col "$t" "$mode" 8 | median)" "$(col "$t" "$mode" 10 | median)" "$(col "$t" "$mode" 19 | median)"
    done
  done
  echo
  echo "ratios (medians):"
  for mode in $modes; do
    br=$(col bare "$mode" 6 | median); bc=$(col bare "$mode" 18 | median)
    er=$(col exchange "$mode" 6 | median); ec=$(col exchange "$mode" 18 | median)
    awk -v m="$mode" -v br="$br" -v bc="$bc" -v er="$er" -v ec="$ec" 'BEGIN {
      printf "  %-9s exchange req/s = %.1f %% of bare; exchange cpu/req = bare + %.0f us (%.2f x)\n", m, 100*er/br, ec-bc, ec/bc }'
    if [ -n "${BASE_DLL:-}" ]; then
      sr=$(col base "$mode" 6 | median); sc=$(col base "$mode" 18 | median)
      awk -v m="$mode" -v br="$br" -v sr="$sr" -v sc="$sc" -v er="$er" -v ec="$ec" 'BEGIN {
        printf "  %-9s base req/s = %.1f %% of bare; exchange vs base: req/s %+.1f %%, cpu/req %+.1f %%\n", m, 100*sr/br, 100*(er-sr)/sr, 100*(ec-sc)/sc }'
    fi
  done
} | tee "$out/report.txt"
echo "results in $out"
