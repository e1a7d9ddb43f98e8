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
"$fusesim" oracle scenarios/ --keep-going --retries 2 | tail -n 3
# Differential testing (docs/fidelity.md): a bounded batch of generated
# scenarios, about 1.5 minutes at ~2 scenarios/s. Seeds 1-200 are among those
# that agreed in the large run docs/fidelity.md reports; a difference is
# minimised into $findings and fails the job.
findings=$(mktemp -d)
"$fusesim" oracle --generate 200 --seed 1 --retries 2 --out "$findings" | tail -n 1
rm -rf "$findings"
doc_kernel=$(sed -n 's/^Kernel: Linux \([^.]*\.[^.]*\.[^ ]*\)\. .*/\1/p' docs/fidelity.md | head -n 1)
if [ "$doc_kernel" = "$(uname -r)" ]; then
  fresh=$(mktemp)
  trap 'rm -f "$fresh"' EXIT
  scripts/fidelity-table.sh --stdout "$fusesim" >"$fresh"
  if ! diff -q <(sed -n '/BEGIN fidelity-table/,/END fidelity-table/p' docs/fidelity.md | grep -v '^<!--') "$fresh" >/dev/null; then
    echo "docs/fidelity.md is stale: run scripts/fidelity-table.sh" >&2
    diff <(sed -n '/BEGIN fidelity-table/,/END fidelity-table/p' docs/fidelity.md | grep -v '^<!--') "$fresh" | head -20 >&2
    exit 1
  fi
  echo "docs/fidelity.md: current"
else
  echo "docs/fidelity.md: generated on Linux ${doc_kernel:-?}, this is $(uname -r): table not compared"
fi
