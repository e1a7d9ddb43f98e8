#!/usr/bin/env bash
# The real-kernel oracle in CI: where this machine can mount FUSE, every
# bundled scenario the oracle can run must agree with the real kernel, and the
# agreement table in docs/fidelity.md must be current (when it was generated
# on this kernel release). Elsewhere it says "skipped: <why>" and passes.
set -euo pipefail
cd "$(dirname "$0")/.."
fusesim=${1:-build/fusesim}
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/fuse ]; then
  echo "oracle: skipped: needs root and /dev/fuse"
  exit 0
fi
# One run of the corpus: its verdict, and (below) the table it renders.
json=$(mktemp)
fresh=$(mktemp)
findings=$(mktemp -d)
trap 'rm -rf "$json" "$fresh" "$findings"' EXIT
set +e
"$fusesim" oracle scenarios/ --keep-going --retries 2 --format json >"$json"
rc=$?
set -e
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("oracle: %d passed, %d failed, %d unforceable, %d skipped" % (d["passed"], d["failed"], d["unforceable"], d["skipped"])); [print("  %s:" % s["status"], s["name"], s.get("reason", "")) for s in d["scenarios"] if s["status"] not in ("agree", "skipped")]' "$json"
if [ "$rc" -ne 0 ]; then
  echo "oracle: the corpus does not agree with this kernel, or a replay could not be forced (exit $rc)" >&2
  exit "$rc"
fi
# Differential testing (docs/fidelity.md): a bounded batch of generated
# scenarios, about two minutes at ~2 scenarios/s. Seeds 1-1000 agree in the
# runs docs/fidelity.md reports (commit 3bb5ed1); a difference is minimised
# into $findings and fails the job.
"$fusesim" oracle --generate 200 --seed 1 --retries 2 --out "$findings" | tail -n 1
doc_kernel=$(sed -n 's/^Kernel: Linux \([^.]*\.[^.]*\.[^ ]*\)\. .*/\1/p' docs/fidelity.md | head -n 1)
if [ "$doc_kernel" = "$(uname -r)" ]; then
  scripts/fidelity-table.sh --stdout --from-json "$json" >"$fresh"
  if ! diff -q <(sed -n '/BEGIN fidelity-table/,/END fidelity-table/p' docs/fidelity.md | grep -v '^<!--') "$fresh" >/dev/null; then
    echo "docs/fidelity.md is stale: run scripts/fidelity-table.sh" >&2
    diff <(sed -n '/BEGIN fidelity-table/,/END fidelity-table/p' docs/fidelity.md | grep -v '^<!--') "$fresh" | head -20 >&2
    exit 1
  fi
  echo "docs/fidelity.md: current"
else
  echo "docs/fidelity.md: generated on Linux ${doc_kernel:-?}, this is $(uname -r): table not compared"
fi
