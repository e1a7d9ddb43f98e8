#!/usr/bin/env bash
# Runs the libFuzzer targets of a FUSESIM_FUZZ build for SECONDS each, both at
# once (one core each), with the bundled scenarios and workloads as seeds.
#   scripts/fuzz.sh BUILD_DIR SECONDS
# Corpora grow in BUILD_DIR/corpus/TARGET (never committed), crashing inputs
# land in BUILD_DIR/artifacts/ and logs in BUILD_DIR/logs/. Exits non-zero if
# a target found a crash, leak, timeout (> 10 s) or out-of-memory (> 2.5 GB).
# See docs/reliability.md for turning a crash into a regression test.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/fuzz.sh BUILD_DIR SECONDS}
seconds=${2:?usage: scripts/fuzz.sh BUILD_DIR SECONDS}
targets=(loader_fuzz run_fuzz)

mkdir -p "$build/artifacts" "$build/logs"
pids=()
for t in "${targets[@]}"; do
  if [ ! -x "$build/$t" ]; then
    echo "fuzz: $build/$t is missing; configure with -DFUSESIM_FUZZ=ON" >&2
    exit 2
  fi
  corpus="$build/corpus/$t"
  mkdir -p "$corpus"
  cp scenarios/*.json workloads/*.json "$corpus/"  # the seeds, refreshed at every run
  "$build/$t" "$corpus" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2560 \
    -artifact_prefix="$build/artifacts/$t-" >"$build/logs/$t.log" 2>&1 &
  pids+=($!)
done

status=0
for i in "${!targets[@]}"; do
  t=${targets[$i]}
  if wait "${pids[$i]}"; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/logs/$t.log")
    cov=$(grep -oE 'cov: [0-9]+' "$build/logs/$t.log" | tail -n 1)
    corp=$(ls "$build/corpus/$t" | wc -l)
    echo "fuzz: $t: ok, ${runs:-?} executions in ${seconds}s, ${cov:-cov: ?}, corpus $corp files"
  else
    status=1
    echo "fuzz: $t FAILED; the end of $build/logs/$t.log:" >&2
    tail -n 40 "$build/logs/$t.log" >&2
    ls -1 "$build/artifacts/$t-"* 2>/dev/null | sed 's/^/fuzz: input: /' >&2
  fi
done
exit $status
