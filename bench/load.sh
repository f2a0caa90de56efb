#!/usr/bin/env bash
# Load benchmark of the exchange's own cost, on loopback only, bounded in time and requests.
# Uses the harness in ../shared/bench (fast mock OpenAI upstream, wrk/hey scripts): the same load
# goes straight to the mock and through the exchange, alternately, ROUNDS times; report.js gives
# "added" = exchange - direct. Needs: wrk, hey (apt-get install wrk hey), node.
#   bench/load.sh [ROUNDS] [DURATION_S]      e.g. bench/load.sh 3 10
#   WITH_PORTKEY=1 bench/load.sh 1 10         also Portkey 1.15.2 from npm, in the same run
set -euo pipefail
rounds=${1:-3}
duration=${2:-10}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="$here/../shared/bench"
[ -d "$shared" ] || { echo "need ../shared/bench beside the repository" >&2; exit 2; }
work="$(mktemp -d)"
cp -r "$shared" "$work/bench"
cd "$work/bench"
out="$here/bench/results/run-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"

dotnet build "$here/src/Entrepot.Cli" -c Release -v quiet -nologo >/dev/null
./start-mock.sh >/dev/null
key="ent-bench-key-0123456789abcdef"
DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 dotnet "$here/src/Entrepot.Cli/bin/Release/net10.0/entrepot.dll" exchange \
  --upstream http://127.0.0.1:18080/v1 --model gpt-4o-mini --api-key "$key" --port 18500 --data-dir "$work/exchange" \
  > "$out/exchange.log" 2>&1 &
gw=$!
trap 'kill $gw 2>/dev/null || true; ./stop.sh >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 100); do grep -q ready "$out/exchange.log" && break; sleep 0.2; done
echo "exchange pid $gw, RSS before load: $(grep VmRSS /proc/$gw/status)" | tee "$out/rss-idle.txt"

flags=(-d "$duration" -r 1 -w 5)
dirs=()
for r in $(seq 1 "$rounds"); do
  ./bench.sh -n "direct-r$r" -u http://127.0.0.1:18080/v1/chat/completions -p "$(cat run/mock.pid)" "${flags[@]}" | tail -3
  dirs+=("$(ls -td results/direct-r$r-* | head -1)")
  ./bench.sh -n "exchange-r$r" -u http://127.0.0.1:18500/v1/chat/completions -H "Authorization: Bearer $key" -p "$gw" "${flags[@]}" | tail -3
  dirs+=("$(ls -td results/exchange-r$r-* | head -1)")
done
if [ "${WITH_PORTKEY:-0}" = 1 ]; then
  ./start-portkey.sh >/dev/null
  ./bench.sh -n portkey -u http://127.0.0.1:18787/v1/chat/completions -H 'x-portkey-provider: openai' \
    -H 'x-portkey-custom-host: http://127.0.0.1:18080/v1' -H 'Authorization: Bearer sk-mock' -p "$(cat run/portkey.pid)" "${flags[@]}" | tail -3
  dirs+=("$(ls -td results/portkey-* | head -1)")
fi
cp -r results/* "$out/"
node report.js --baseline direct-r1 "${dirs[@]}" > "$out/report.md" 2>&1 || true
echo "results in $out (report.md)"
