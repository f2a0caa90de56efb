#!/usr/bin/env bash
# Runs the whole test suite: restores, builds and runs every test project, then prints one
# summary line "N passed, N failed, N skipped". Tests find the model in ../shared/models.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
results="$(mktemp -d)"
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
