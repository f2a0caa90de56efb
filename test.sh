#!/usr/bin/env bash
# Runs the whole test suite: restores, builds and runs every test project, then prints one
# summary line "N passed, N failed, N skipped". Tests find the model in ../shared/models (or ENTREPOT_MODEL).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
results="$(mktemp -d)"
trap 'declare -F stop_services >/dev/null && stop_services; rm -rf "$results"' EXIT
# Stopped by a signal, it still stops what it started (the EXIT trap runs on exit, not on a signal).
trap 'exit 143' TERM
trap 'exit 130' INT
# The end-to-end tests run the real embedded engine on stories260K.gguf: ENTREPOT_MODEL, else
# shared/models above the repository (../shared beside it). Without it, say so once, not in 50 failures.
model_found() {
  [ -n "${ENTREPOT_MODEL:-}" ] && { [ -f "$ENTREPOT_MODEL" ]; return; }
  local dir="$here"
  while :; do
    [ -f "$dir/shared/models/stories260K.gguf" ] && return 0
    [ "$dir" = / ] && return 1
    dir="$(dirname "$dir")"
  done
}
if ! model_found; then
  echo "test.sh: the tests need the model stories260K.gguf: put it at ../shared/models/ beside the repository or set ENTREPOT_MODEL to its path${ENTREPOT_MODEL:+ (ENTREPOT_MODEL=$ENTREPOT_MODEL does not exist)}" >&2
  echo
  echo "0 passed, 1 failed, 0 skipped (the model was not found: see above)"
  exit 1
fi
. .ci/services.sh

# Debian's Chromium for the dashboard tests (driven by Playwright), installed once if missing.
command -v chromium >/dev/null || apt_install "the dashboard tests" chromium
# The embedded engine's llama.cpp library needs GNU OpenMP (not in a minimal Debian).
/sbin/ldconfig -p 2>/dev/null | grep -q 'libgomp\.so\.1' || apt_install "the embedded engine" libgomp1
# Node.js and npm for the official OpenAI and Anthropic TypeScript clients (tests/node), whose
# packages are installed once from the lock file.
command -v node >/dev/null && command -v npm >/dev/null || apt_install "the TypeScript client tests" nodejs npm
if [ ! -d tests/node/node_modules ] && command -v npm >/dev/null; then
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error) || echo "test.sh: npm ci failed in tests/node; the TypeScript client tests will fail" >&2
fi
# A real Redis for the cluster tests and a real PostgreSQL for the storage tests, stopped when the
# tests end (ENTREPOT_TEST_REDIS / ENTREPOT_TEST_POSTGRES already set are used as they are).
start_redis
start_postgres
if ! dotnet build Entrepot.slnx -c Release -v quiet -nologo; then
  echo
  echo "0 passed, 1 failed, 0 skipped (the build failed: see the errors above)"
  exit 1
fi
# A test that hangs is stopped after 10 minutes (a whole run takes a few): the runner names it and
# writes a dump, whose managed stacks are printed below.
# What the tests leave in the temporary directory (data directories, configs, keys) goes with it.
mkdir -p "$results/tmp"
TMPDIR="$results/tmp" dotnet test Entrepot.slnx -c Release --no-build -nologo --logger "trx" --results-directory "$results" \
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
