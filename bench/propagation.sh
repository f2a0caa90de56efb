#!/usr/bin/env bash
# How long a change made through one cluster node takes to act on another: two `entrepot exchange`
# processes sharing a throw-away Redis and PostgreSQL (started here and stopped after, by process id
# and data directory, as the tests do). Figures in docs/OPERATIONS.md ("Propagation").
#   bench/propagation.sh [ROUNDS]      default 20 rounds of each change
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
rounds=${1:-20}
(( rounds >= 1 && rounds <= 200 )) || { echo "propagation: 1-200 rounds" >&2; exit 2; }
trap 'declare -F stop_services >/dev/null && stop_services' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
. .ci/services.sh
start_redis
start_postgres
echo "building the exchange and the benchmark (Release) ..."
dotnet build src/Entrepot.Cli -c Release -v quiet -nologo >/dev/null
dotnet build bench/Propagation -c Release -v quiet -nologo >/dev/null
dotnet bench/Propagation/bin/Release/net10.0/Propagation.dll src/Entrepot.Cli/bin/Release/net10.0/entrepot.dll "$rounds"
