#!/usr/bin/env bash
# The embedded engine through an exporter node against LLamaSharp called directly: same model, prompt
# and settings, in alternated pairs of requests. Loopback only; bounded by PAIRS.
#
#   bench/engine.sh [MODEL.gguf] [PAIRS=200] [MAX_TOKENS=256]
#   default model: $ENTREPOT_MODEL, else ../shared/models/stories260K.gguf beside the repository
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:-${ENTREPOT_MODEL:-$here/../shared/models/stories260K.gguf}}"
[ -f "$model" ] || { echo "engine: no model at $model" >&2; exit 2; }
work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
echo "building the exporter and the benchmark (Release) ..."
for project in src/Entrepot.Cli bench/EngineThroughput; do
  dotnet build "$here/$project" -c Release -v quiet -nologo >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
done
key="ent-bench-node-key-0123456789abcdef"
port=18565
cat >"$work/node.json" <<JSON
{ "node": { "id": "bench-engine", "jurisdiction": "US", "host": "127.0.0.1", "port": $port },
  "engine": { "kind": "embedded", "model_path": "$model", "model_name": "stories260k", "context_size": 512 },
  "admission": { "max_concurrency": 1, "max_queue": 4 },
  "exchange_keys": ["$key"] }
JSON
dotnet "$here/src/Entrepot.Cli/bin/Release/net10.0/entrepot.dll" exporter --config "$work/node.json" --data-dir "$work/node" >"$work/node.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
echo "commit $(git -C "$here" rev-parse --short HEAD)$(git -C "$here" diff --quiet || echo '+changes'), $(nproc) cpus, model $(basename "$model")"
timeout 600 dotnet "$here/bench/EngineThroughput/bin/Release/net10.0/EngineThroughput.dll" "$model" "http://127.0.0.1:$port" "$key" "${2:-200}" "${3:-256}"
