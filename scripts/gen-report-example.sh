#!/usr/bin/env bash
# Regenerates docs/report-example.md (a test fails when it is stale).
set -euo pipefail
cd "$(dirname "$0")/.."
fusesim=${1:-build/fusesim}
"$fusesim" compare scenarios workloads --format md -o docs/report-example.md
