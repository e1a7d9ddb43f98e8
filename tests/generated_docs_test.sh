#!/usr/bin/env bash
# Fails when a generated document is stale: regenerate with the named script.
set -euo pipefail
src=$1
fusesim=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src"
"$fusesim" compare scenarios workloads --format md -o "$tmp/report-example.md"
if ! cmp -s "$tmp/report-example.md" docs/report-example.md; then
  echo "docs/report-example.md is stale: run scripts/gen-report-example.sh" >&2
  diff -u docs/report-example.md "$tmp/report-example.md" | head -40 >&2
  exit 1
fi
scripts/gen-atomic-create-doc.sh "$fusesim" "$tmp/atomic-create.md"
if ! cmp -s "$tmp/atomic-create.md" docs/atomic-create.md; then
  echo "docs/atomic-create.md is stale: run scripts/gen-atomic-create-doc.sh" >&2
  diff -u docs/atomic-create.md "$tmp/atomic-create.md" | head -40 >&2
  exit 1
fi
scripts/gen-designs-doc.sh "$fusesim" "$tmp/designs.md"
if ! cmp -s "$tmp/designs.md" docs/designs.md; then
  echo "docs/designs.md is stale: run scripts/gen-designs-doc.sh" >&2
  diff -u docs/designs.md "$tmp/designs.md" | head -40 >&2
  exit 1
fi
echo "3 passed, 0 failed"
