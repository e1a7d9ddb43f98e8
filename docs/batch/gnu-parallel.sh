#!/usr/bin/env bash
# Explores a scenario in SHARDS shards on this machine with GNU parallel
# (Debian: apt install parallel), JOBS at a time, then merges and judges the
# whole (docs/exploring.md, "Splitting an exploration across machines").
#
#   SCENARIO=race.json SHARDS=8 docs/batch/gnu-parallel.sh
#
# Environment: SCENARIO (required); SHARDS (8); JOBS (the number of cores);
# OUT, the directory for shard-I.json and result.json (shards); FUSESIM, the
# binary (fusesim); EXPLORE_ARGS, more `fusesim explore` options (e.g.
# "--variants lookup-create --strategy exhaustive").
# Exit code: `fusesim merge --scenario`'s, as `fusesim explore`'s would be
# for one process (0 ok, 1 an expectation failed, 4 a bound cut the search).
set -euo pipefail
: "${SCENARIO:?set SCENARIO to the scenario file}"
SHARDS=${SHARDS:-8}
JOBS=${JOBS:-$(nproc)}
OUT=${OUT:-shards}
FUSESIM=${FUSESIM:-fusesim}
EXPLORE_ARGS=${EXPLORE_ARGS:-}
mkdir -p "$OUT"
export SCENARIO SHARDS OUT FUSESIM EXPLORE_ARGS
# A shard's 1 (a schedule failed) and 4 (a bound cut it) are results, kept in
# its JSON for the merge; anything else (2 bad input, 3 internal error, 130
# interrupted) fails the job and stops the others.
# shellcheck disable=SC2016
seq 0 $((SHARDS - 1)) | parallel --will-cite --jobs "$JOBS" --halt now,fail=1 '
  "$FUSESIM" explore "$SCENARIO" $EXPLORE_ARGS --shard {}/"$SHARDS" --format json -o "$OUT"/shard-{}.json
  rc=$?; case $rc in 0|1|4) exit 0 ;; *) exit $rc ;; esac'
shards=()
for ((i = 0; i < SHARDS; i++)); do shards+=("$OUT/shard-$i.json"); done
exec "$FUSESIM" merge "${shards[@]}" --scenario "$SCENARIO" -o "$OUT/result.json"
