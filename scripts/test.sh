#!/usr/bin/env bash
# Runs the whole test suite (installs what the tests need first) and prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
results=$(mktemp -d)
# The shipped binary is Native AOT; tests/Berth.Tests/Published runs it end to end (the rest of the suite runs the CLI in-process).
native="$results/native"
dotnet publish src/Berth.Cli/Berth.Cli.csproj -c Release -r linux-x64 -o "$native" --nologo -v quiet || { echo "publishing the native berth failed" >&2; exit 1; }
export BERTH_NATIVE_BINARY="$native/berth"
dotnet test tests/Berth.Tests/Berth.Tests.csproj -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?
trx="$results/results.trx"
if [ -f "$trx" ]; then
  passed=$(grep -o 'passed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
  failed=$(grep -o 'failed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
  total=$(grep -o 'total="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
  notrun=$(( ${total:-0} - ${passed:-0} - ${failed:-0} ))
  echo
  echo "${passed:-0} passed, ${failed:-0} failed, ${notrun} skipped"
  [ "${total:-0}" -gt 0 ] || { echo "no tests ran" >&2; status=1; }
  [ "$notrun" -eq 0 ] || { echo "tests that did not run are failures here" >&2; status=1; }
else
  echo "0 passed, 0 failed"
  echo "no test results were written" >&2
  status=1
fi
rm -rf "$results"
exit $status
