#!/usr/bin/env bash
# The main job: checks the bundled scenarios, then prints the round-trip
# savings report of every variant over the scenarios and the workloads.
set -euo pipefail
cd "$(dirname "$0")/.."
fusesim=${1:-build/fusesim}
echo "== fusesim check scenarios/ (each scenario's expectations, every variant) =="
"$fusesim" check scenarios/ | tail -n 1
echo
echo "== fusesim compare scenarios/ workloads/ (latency preset: local) =="
"$fusesim" compare scenarios workloads --format html -o build/report.html
"$fusesim" compare scenarios workloads --format md -o build/report.md
sed -n '/^## Summary/,/^## Violations/p' build/report.md | sed '$d'
echo "Full report: build/report.md (Markdown), build/report.html (charts); docs/report-example.md is the same, committed."
