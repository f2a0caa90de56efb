#!/usr/bin/env bash
# The exchange against the bare relay (bench/BareRelay) on the same machine, in the same run: what
# the exchange costs above a relay that does nothing else is its own work, a figure that holds on any
# host where absolute requests/s do not. Loopback only; every load is bounded (wrk -d, hey -n, both
# under timeout).
#
#   bench/vs-bare.sh [ROUNDS] [DURATION_S]       default 3 rounds of 8 s per cell
#   MODES="nonstream stream"   modes (default both)
#   CONNS="50 1"               connection counts (default both: throughput and CPU at 50, latency at 1)
#   TTFB_N=200                 sequential streaming requests per round for time to first byte (0: none)
#   SETUP=exporter             also an exporter node in front of the mock: the node alone ("node") and
#                              the exchange in front of it ("via-node": the seller's receipt checked)
#   PORTKEY=1                  also Portkey (../shared/bench installs it with npm), for the peer ratio
#                              (2 rounds at least: each process's first round is a cold start)
#   BASE_DLL=/path/entrepot.dll  also a second exchange build (say, main before a change)
#   SLICES=10                  after the rounds, also SLICES alternated slices of 2 s per target and mode at
#                              the highest connection count (0: none): the host's speed drifts by up to
#                              2x within minutes, a round's cells are 30 s apart and a slice pair 2 s, so
#                              the slices' median ratio is the steadier figure (it does not replace the
#                              rounds' medians, which the goals are judged on)
#   FIRST_WARMUP=15            seconds of warm-up for each target and mode in round 1 (3 s in later rounds):
#                              the exchange's tiered compiler is busy for its first 8-10 s under load,
#                              taking up to a third of its CPU, and round 1 would measure that
#
# Per round every target in turn, each after its own warm-up, all in front of the shared harness's mock
# (../shared/bench). Prints every round, then the medians, the goals of docs/PERFORMANCE.md against
# the bare relay, and the ratios. Needs wrk and hey (apt-get install wrk hey), node, the .NET SDK.
# Results, raw wrk/hey output included: bench/results/vs-bare-*/.
set -euo pipefail
rounds=${1:-3}
duration=${2:-8}
modes=${MODES:-nonstream stream}
conns=${CONNS:-50 1}
ttfb_n=${TTFB_N:-200}
first_warmup=${FIRST_WARMUP:-15}
slices=${SLICES:-10}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="$here/../shared/bench"
[ -d "$shared" ] || { echo "vs-bare: needs ../shared/bench beside the repository" >&2; exit 2; }
command -v wrk >/dev/null || { echo "vs-bare: needs wrk (apt-get install wrk)" >&2; exit 2; }
if (( ttfb_n > 0 )) && ! command -v hey >/dev/null; then echo "vs-bare: needs hey for TTFB (apt-get install hey), or TTFB_N=0" >&2; exit 2; fi
(( rounds >= 1 && rounds <= 10 && duration >= 1 && duration <= 60 && ttfb_n >= 0 && ttfb_n <= 2000 && first_warmup >= 0 && first_warmup <= 60 && slices >= 0 && slices <= 100 )) \
  || { echo "vs-bare: 1-10 rounds, 1-60 s, TTFB_N 0-2000, FIRST_WARMUP 0-60, SLICES 0-100" >&2; exit 2; }
for c in $conns; do (( c >= 1 && c <= 500 )) || { echo "vs-bare: 1-500 connections" >&2; exit 2; }; done
if [ -n "${BASE_DLL:-}" ] && [ ! -f "$BASE_DLL" ]; then echo "vs-bare: no such BASE_DLL $BASE_DLL" >&2; exit 2; fi

work="$(mktemp -d)"
cp -r "$shared" "$work/bench"
mkdir -p "$work/bench/results"
out="$here/bench/results/vs-bare-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done
  (cd "$work/bench" && ./stop.sh >/dev/null 2>&1) || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "building the exchange and the bare relay (Release) ..."
dotnet build "$here/src/Entrepot.Cli" -c Release -v quiet -nologo >/dev/null
dotnet build "$here/bench/BareRelay" -c Release -v quiet -nologo >/dev/null
(cd "$work/bench" && ./start-mock.sh >/dev/null)
key="ent-bench-key-0123456789abcdef"
node_key="ent-bench-node-key-0123456789abcdef"
dll="$here/src/Entrepot.Cli/bin/Release/net10.0/entrepot.dll"
export DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1

declare -A port=([bare]=18560 [exchange]=18561 [base]=18562 [node]=18563 [via-node]=18564 [portkey]=18787)
declare -A auth=([bare]="Authorization: Bearer $key" [exchange]="Authorization: Bearer $key" [base]="Authorization: Bearer $key"
  [node]="Authorization: Bearer $node_key" [via-node]="Authorization: Bearer $key" [portkey]="Authorization: Bearer sk-mock")
wait_port() { for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }
started() { # name pid
  pids+=("$2")
  echo "$2" >"$work/$1.pid"
  wait_port "${port[$1]}" || { cat "$out/$1.log"; exit 1; }
}
start_exchange() { # name dll
  dotnet "$2" exchange --upstream http://127.0.0.1:18080/v1 --model gpt-4o-mini --api-key "$key" \
    --port "${port[$1]}" --data-dir "$work/$1-data" >"$out/$1.log" 2>&1 &
  started "$1" $!
}

dotnet "$here/bench/BareRelay/bin/Release/net10.0/BareRelay.dll" http://127.0.0.1:18080/v1/ "${port[bare]}" "$key" >"$out/bare.log" 2>&1 &
started bare $!
start_exchange exchange "$dll"
targets=(bare exchange)
if [ -n "${BASE_DLL:-}" ]; then
  start_exchange base "$BASE_DLL"
  targets+=(base)
fi
if [ "${SETUP:-}" = exporter ]; then
  # An exporter node in front of the mock (the seller's side), and a configured exchange in front of
  # the node with the node's receipt key pinned: every answer's receipt is checked and countersigned.
  cat >"$work/node.json" <<EOF
{ "node": { "id": "bench-node", "jurisdiction": "US", "host": "127.0.0.1", "port": ${port[node]} },
  "engine": { "kind": "upstream", "base_url": "http://127.0.0.1:18080/v1", "models": ["gpt-4o-mini"] },
  "admission": { "max_concurrency": 512, "max_queue": 1024 },
  "exchange_keys": ["$node_key"] }
EOF
  dotnet "$dll" exporter --config "$work/node.json" --data-dir "$work/node-data" >"$out/node.log" 2>&1 &
  started node $!
  public_key=$(curl -s "http://127.0.0.1:${port[node]}/.well-known/entrepot/keys" | sed -n 's/.*"public_key":"\([^"]*\)".*/\1/p')
  [ -n "$public_key" ] || { echo "vs-bare: the node published no key" >&2; exit 1; }
  cat >"$work/via-node.json" <<EOF
{ "exchange": { "jurisdiction": "US", "host": "127.0.0.1", "port": ${port[via-node]} },
  "accounts": [ { "id": "bench", "name": "Bench buyer", "home_jurisdiction": "US", "currency": "USD", "keys": ["$key"] } ],
  "providers": [ { "id": "bench-node", "kind": "exporter", "base_url": "http://127.0.0.1:${port[node]}/v1", "api_key": "$node_key",
    "jurisdiction": "US", "ownership": "US", "models": ["gpt-4o-mini"], "price": { "input": 0.15, "output": 0.60, "currency": "USD" },
    "capacity": 1024, "receipt_public_key": "$public_key" } ] }
EOF
  dotnet "$dll" exchange --config "$work/via-node.json" --data-dir "$work/via-node-data" >"$out/via-node.log" 2>&1 &
  started via-node $!
  targets+=(node via-node)
fi
portkey_headers=()
if [ "${PORTKEY:-}" = 1 ]; then
  (cd "$work/bench" && ./start-portkey.sh >"$out/portkey.log" 2>&1) || { cat "$out/portkey.log"; exit 1; }
  cp "$work/bench/run/portkey.pid" "$work/portkey.pid"
  portkey_headers=(-H "x-portkey-provider: openai" -H "x-portkey-custom-host: http://127.0.0.1:18080/v1")
  targets+=(portkey)
fi
echo "commit $(git -C "$here" rev-parse --short HEAD)$(git -C "$here" diff --quiet || echo '+changes'), $(nproc) cpus, connections '$conns', $rounds rounds of $duration s (warm-up $first_warmup s in round 1, then 3 s), modes '$modes', TTFB $ttfb_n" | tee "$out/config.txt"

for r in $(seq 1 "$rounds"); do
  for mode in $modes; do
    for t in "${targets[@]}"; do
      extra=()
      [ "$t" = portkey ] && extra=("${portkey_headers[@]}")
      n=0; [ "$mode" = stream ] && n=$ttfb_n
      warm=3; (( r == 1 && first_warmup > warm )) && warm=$first_warmup
      (cd "$work/bench" && ./bench.sh -n "$t-$mode-r$r" -u "http://127.0.0.1:${port[$t]}/v1/chat/completions" \
        -H "${auth[$t]}" "${extra[@]+"${extra[@]}"}" -p "$(cat "$work/$t.pid")" -m "$mode" -c "$conns" -d "$duration" -r 1 -w "$warm" -T "$n" \
        -o "$out/$t-$mode-r$r" | grep -E 'req/s|ttfb' || true)
    done
  done
done

# Slices: each target in turn for 2 s at the highest connection count, over and over; each slice's
# requests/s and the target's CPU per request (its /proc ticks over the slice).
hi=$(echo $conns | tr ' ' '\n' | sort -n | tail -1)
slice() { # target mode -> "req/s cpu_us_per_req"
  local t="$1" body="$work/bench/bench/body.json" a b n hdr="$work/$1.headers"
  [ "$2" = stream ] && body="$work/bench/bench/body-stream.json"
  printf '%s\n' "${auth[$t]}" >"$hdr"
  [ "$t" = portkey ] && printf '%s\n' "${portkey_headers[1]}" "${portkey_headers[3]}" >>"$hdr"
  a=$(awk '{print $14+$15}' "/proc/$(cat "$work/$t.pid")/stat")
  n=$(BODY_FILE="$body" HEADERS_FILE="$hdr" timeout -k 5 30 wrk -t 2 -c "$hi" -d 2s --timeout 10s -s "$work/bench/bench/post.lua" \
    "http://127.0.0.1:${port[$t]}/v1/chat/completions" 2>/dev/null | awk '/requests in/ {print $1}')
  b=$(awk '{print $14+$15}' "/proc/$(cat "$work/$t.pid")/stat")
  awk -v n="${n:-0}" -v d="$((b - a))" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (n > 0) printf "%.0f %.1f\n", n/2, d*1e6/hz/n; else print "0 NA" }'
}
if (( slices > 0 )); then
  for mode in $modes; do
    for i in $(seq 1 "$slices"); do
      for t in "${targets[@]}"; do
        echo "$i $(slice "$t" "$mode")" >>"$out/slices-$t-$mode.txt"
      done
    done
  done
fi

# summary.tsv columns: 3 conns, 6 rps, 8 p50_ms, 10 p99_ms, 17 non2xx, 18 cpu us/req, 19 peak RSS MB;
# ttfb.tsv: 6 p50 ms, 8 p99 ms.
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "NA"} else if (NR%2) {print a[(NR+1)/2]} else {printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}}'; }
col() { # target mode conns column
  for d in "$out/$1-$2-r"*; do [ -f "$d/summary.tsv" ] && awk -F'\t' -v c="$4" -v n="$3" 'NR>1 && $3==n {print $c}' "$d/summary.tsv"; done | median
}
ttfb() { # target mode column
  for d in "$out/$1-$2-r"*; do [ -f "$d/ttfb.tsv" ] && awk -F'\t' -v c="$3" 'NR>1 {print $c}' "$d/ttfb.tsv"; done | median
}
lo=$(echo $conns | tr ' ' '\n' | sort -n | head -1)
{
  echo
  echo "medians of $rounds alternated rounds ($duration s each): req/s, CPU and peak memory at $hi connections, latency at $lo"
  printf "  %-9s %-9s %9s %11s %8s %9s %9s %10s %10s %7s\n" target mode "req/s" "cpu us/req" "peak MB" "p50 ms" "p99 ms" "ttfb p50" "ttfb p99" non2xx
  for mode in $modes; do
    for t in "${targets[@]}"; do
      errors=$(for d in "$out/$t-$mode-r"*; do awk -F'\t' 'NR>1 {s+=$17} END {print s+0}' "$d/summary.tsv"; done | awk '{s+=$1} END {print s+0}')
      printf "  %-9s %-9s %9s %11s %8s %9s %9s %10s %10s %7s\n" "$t" "$mode" "$(col "$t" "$mode" "$hi" 6)" "$(col "$t" "$mode" "$hi" 18)" \
        "$(col "$t" "$mode" "$hi" 19)" "$(col "$t" "$mode" "$lo" 8)" "$(col "$t" "$mode" "$lo" 10)" \
        "$([ "$mode" = stream ] && ttfb "$t" "$mode" 6 || echo -)" "$([ "$mode" = stream ] && ttfb "$t" "$mode" 8 || echo -)" "$errors"
    done
  done
  echo
  echo "goals (docs/PERFORMANCE.md), exchange against bare:"
  for mode in $modes; do
    awk -v m="$mode" -v br="$(col bare "$mode" "$hi" 6)" -v er="$(col exchange "$mode" "$hi" 6)" \
      -v bc="$(col bare "$mode" "$hi" 18)" -v ec="$(col exchange "$mode" "$hi" 18)" \
      -v b50="$(col bare "$mode" "$lo" 8)" -v e50="$(col exchange "$mode" "$lo" 8)" \
      -v b99="$(col bare "$mode" "$lo" 10)" -v e99="$(col exchange "$mode" "$lo" 10)" \
      -v em="$(col exchange "$mode" "$hi" 19)" \
      -v bt="$([ "$mode" = stream ] && ttfb bare "$mode" 6 || echo NA)" -v et="$([ "$mode" = stream ] && ttfb exchange "$mode" 6 || echo NA)" '
      function verdict(ok) { return ok ? "met" : "MISSED" }
      BEGIN {
        printf "  %-9s req/s %.1f %% of bare (>= 90 %%: %s); cpu/req bare + %.0f us (<= 30: %s); p50 bare + %.3f ms (<= 0.05: %s); p99 bare + %.3f ms (<= 0.3: %s); peak %.0f MB (<= 150: %s)",
          m, 100*er/br, verdict(er >= 0.9*br), ec-bc, verdict(ec-bc <= 30), e50-b50, verdict(e50-b50 <= 0.05), e99-b99, verdict(e99-b99 <= 0.3), em, verdict(em <= 150)
        if (bt != "NA" && et != "NA") printf "; ttfb bare + %.2f ms (<= 0.2: %s)", et-bt, verdict(et-bt <= 0.2)
        printf "\n"
      }'
  done
  if (( slices > 0 )); then
    echo
    echo "slices ($slices alternated slices of 2 s per target at $hi connections; medians, and of the exchange's per-slice ratios to bare):"
    for mode in $modes; do
      paste "$out/slices-bare-$mode.txt" "$out/slices-exchange-$mode.txt" | awk -v m="$mode" '
        function med(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
                                       return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
        $2 > 0 && $5 > 0 && $3 != "NA" && $6 != "NA" { n++; br[n] = $2; er[n] = $5; bc[n] = $3; ec[n] = $6; ratio[n] = 100*$5/$2; diff[n] = $6-$3 }
        END { if (n == 0) { printf "  %-9s no slice measured\n", m; exit }
              printf "  %-9s bare %.0f req/s, %.0f us/req; exchange %.0f req/s, %.0f us/req; exchange at %.1f %% of bare req/s, cpu/req bare + %.0f us (%d slice pairs)\n",
                m, med(br, n), med(bc, n), med(er, n), med(ec, n), med(ratio, n), med(diff, n), n }'
    done
  fi
  for other in base via-node portkey; do
    [[ " ${targets[*]} " == *" $other "* ]] || continue
    echo
    echo "$other:"
    for mode in $modes; do
      awk -v m="$mode" -v t="$other" -v br="$(col bare "$mode" "$hi" 6)" -v er="$(col exchange "$mode" "$hi" 6)" -v ec="$(col exchange "$mode" "$hi" 18)" \
        -v sr="$(col "$other" "$mode" "$hi" 6)" -v sc="$(col "$other" "$mode" "$hi" 18)" \
        -v nr="$(col node "$mode" "$hi" 6)" -v nc="$(col node "$mode" "$hi" 18)" 'BEGIN {
        if (t == "base") printf "  %-9s base req/s %.1f %% of bare; exchange against base: req/s %+.1f %%, cpu/req %+.1f %%\n", m, 100*sr/br, 100*(er-sr)/sr, 100*(ec-sc)/sc
        if (t == "via-node") printf "  %-9s exchange via the node: %.0f req/s, exchange cpu/req %.0f us (quick start %.0f us); the node alone: %.0f req/s, node cpu/req %.0f us\n", m, sr, sc, ec, nr, nc
        if (t == "portkey") printf "  %-9s bare relay = %.1f x Portkey; exchange = %.1f x Portkey (req/s)\n", m, br/sr, er/sr
      }'
    done
  done
} | tee "$out/report.txt"
echo "results in $out"
