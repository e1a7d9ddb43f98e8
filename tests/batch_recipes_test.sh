#!/usr/bin/env bash
# Runs the batch-engine recipes of docs/batch/ on this machine and checks
# that each gives the result one process gives:
#   - gnu-parallel.sh, for real (GNU parallel from Debian);
#   - the Slurm array (slurm-explore.sbatch per task, with the
#     SLURM_ARRAY_TASK_ID Slurm would set, then slurm-merge.sbatch);
#   - the Kubernetes Indexed Job: each pod's shell command, taken from
#     explore-indexed-job.yaml, with the JOB_COMPLETION_INDEX Kubernetes
#     would set, then the merge Job's command.
# The merged results must be identical to each other whatever the number
# of shards (but for "shard": "merged N"), judged "expectations: ok" (exit 0), with the outcomes of
# an unsharded `fusesim explore`; a failing expectation must fail the merge.
set -euo pipefail
src=$1
fusesim=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v parallel >/dev/null || { echo "GNU parallel is missing: scripts/install-deps.sh" >&2; exit 1; }
mkdir -p "$tmp/bin"
ln -s "$fusesim" "$tmp/bin/fusesim"
export PATH="$tmp/bin:$PATH"
batch=$src/docs/batch
scenario=$src/scenarios/explore-stat-vs-create-negcache.json
fail() { echo "FAIL: $*" >&2; exit 1; }

fusesim explore "$scenario" --format json -o "$tmp/one.json" || fail "unsharded explore"

# GNU parallel, 5 shards.
SCENARIO=$scenario SHARDS=5 JOBS=2 OUT=$tmp/parallel "$batch/gnu-parallel.sh" 2>"$tmp/parallel.err" ||
  { cat "$tmp/parallel.err" >&2; fail "gnu-parallel.sh exited $?"; }
grep -q "expectations: ok" "$tmp/parallel.err" || fail "gnu-parallel.sh: no verdict: $(cat "$tmp/parallel.err")"

# Slurm array: the #SBATCH array must match the script's default SHARDS.
array=$(sed -n 's/^#SBATCH --array=0-\([0-9]*\)$/\1/p' "$batch/slurm-explore.sbatch")
default=$(sed -n 's/^SHARDS=\${SHARDS:-\([0-9]*\)}$/\1/p' "$batch/slurm-explore.sbatch")
[ -n "$array" ] && [ "$((array + 1))" = "$default" ] || fail "slurm-explore.sbatch: --array=0-$array but SHARDS=$default"
for i in 0 1 2; do
  SLURM_ARRAY_TASK_ID=$i SCENARIO=$scenario SHARDS=3 OUT=$tmp/slurm bash "$batch/slurm-explore.sbatch" ||
    fail "slurm-explore.sbatch task $i"
done
SCENARIO=$scenario SHARDS=3 OUT=$tmp/slurm bash "$batch/slurm-merge.sbatch" 2>"$tmp/slurm.err" ||
  { cat "$tmp/slurm.err" >&2; fail "slurm-merge.sbatch"; }

# Kubernetes Indexed Job: the pods' commands, completions == SHARDS.
python3 - "$batch/explore-indexed-job.yaml" "$tmp" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
explore, merge = docs
spec = explore["spec"]
assert spec["completionMode"] == "Indexed", spec
def env(job):
    c = job["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e["value"] for e in c["env"]}, c["command"], c["args"][0]
e, cmd, script = env(explore)
assert int(e["SHARDS"]) == spec["completions"], (e["SHARDS"], spec["completions"])
me, mcmd, mscript = env(merge)
assert me["SHARDS"] == e["SHARDS"] and me["OUT"] == e["OUT"] and me["SCENARIO"] == e["SCENARIO"]
assert cmd == mcmd == ["/bin/sh", "-c"], cmd
open(sys.argv[2] + "/pod.sh", "w").write(script)
open(sys.argv[2] + "/merge.sh", "w").write(mscript)
PY
mkdir -p "$tmp/k8s"
for i in 0 1 2 3; do
  JOB_COMPLETION_INDEX=$i SCENARIO=$scenario SHARDS=4 OUT=$tmp/k8s /bin/sh -c "$(cat "$tmp/pod.sh")" ||
    fail "the Indexed Job's pod $i"
done
SCENARIO=$scenario SHARDS=4 OUT=$tmp/k8s timeout 60 /bin/sh -c "$(cat "$tmp/merge.sh")" 2>"$tmp/k8s.err" ||
  { cat "$tmp/k8s.err" >&2; fail "the merge Job"; }

# Identical but for "shard": "merged N".
same() { diff <(grep -v '"shard": "merged' "$1") <(grep -v '"shard": "merged' "$2") >/dev/null; }
same "$tmp/parallel/result.json" "$tmp/slurm/result.json" || fail "5 shards (parallel) and 3 (Slurm) merge differently"
same "$tmp/parallel/result.json" "$tmp/k8s/result.json" || fail "5 shards (parallel) and 4 (Kubernetes) merge differently"
python3 - "$tmp/one.json" "$tmp/parallel/result.json" <<'PY' || fail "the merged outcomes are not the unsharded ones"
import json, sys
one, merged = (json.load(open(f)) for f in sys.argv[1:])
for a, b in zip(one, merged):
    assert a["variant"] == b["variant"]
    assert sorted(o["key"] for o in a["outcomes"]) == sorted(o["key"] for o in b["outcomes"]), a["variant"]
    assert b["expectations"]["proven"] is True, b["variant"]
assert len(one) == len(merged)
PY

# A scenario the merged outcomes refute: the recipe fails with merge's 1.
python3 - "$scenario" "$tmp/three.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["expect"].setdefault("all", {})["outcomes"] = 99
json.dump(s, open(sys.argv[2], "w"))
PY
set +e
SCENARIO=$tmp/three.json SHARDS=2 OUT=$tmp/bad "$batch/gnu-parallel.sh" 2>"$tmp/bad.err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "a refuted scenario: gnu-parallel.sh exited $rc, not 1: $(cat "$tmp/bad.err")"
grep -q "outcomes: expected 99" "$tmp/bad.err" || fail "no FAIL line: $(cat "$tmp/bad.err")"
echo "batch recipes: GNU parallel, Slurm array, Kubernetes Indexed Job: same result as one process"
