#!/usr/bin/env bash
# The main job: checks the bundled scenario corpus and prints what each
# variant costs and breaks.
set -euo pipefail
fusesim=${1:-build/fusesim}
cd "$(dirname "$0")/.."
echo "== fusesim check scenarios/ =="
"$fusesim" check scenarios/
