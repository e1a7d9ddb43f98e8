#!/usr/bin/env bash
# Runs every bundled scenario with two builds of fusesim (Release and Debug)
# and compares the JSON reports byte for byte.
set -euo pipefail
cd "$(dirname "$0")/.."
a=${1:-build/fusesim}
b=${2:-build-debug/fusesim}
passed=0
failed=0
for f in scenarios/*.json workloads/*.json; do
  if cmp -s <("$a" run "$f" --format json --trace) <("$b" run "$f" --format json --trace); then
    passed=$((passed + 1))
  else
    echo "DIFFERS: $f" >&2
    failed=$((failed + 1))
  fi
done
echo "cross-build determinism: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
