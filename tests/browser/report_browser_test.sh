#!/usr/bin/env bash
# ctest "report_browser": renders the compare reports (HTML, Markdown) and
# docs/report-example.md in Debian's Chromium and checks the charts with
# check_reports.mjs (the real Mermaid library for the Markdown charts).
#   report_browser_test.sh SOURCE_DIR FUSESIM WORK_DIR
# Needs chromium and npm (scripts/install-deps.sh --browser) and the npm
# registry the first time (playwright-core and mermaid are cached in
# WORK_DIR). Without them it prints "skipped: ..." and exits 77 (ctest shows
# it as skipped) unless FUSESIM_REQUIRE_BROWSER=1, as in CI, where it fails.
set -euo pipefail
src=$1 fusesim=$2 work=$3
PLAYWRIGHT=playwright-core@1.65.1
MERMAID=mermaid@11.12.2

skip() {
  if [ "${FUSESIM_REQUIRE_BROWSER:-}" = 1 ]; then
    echo "FAIL: $1 (FUSESIM_REQUIRE_BROWSER=1)"
    exit 1
  fi
  echo "skipped: $1"
  exit 77
}
chromium=$(command -v chromium || true)
[ -n "$chromium" ] || skip "no chromium (scripts/install-deps.sh --browser)"
command -v npm >/dev/null || skip "no npm (scripts/install-deps.sh --browser)"

mkdir -p "$work"
deps="$work/deps"
if [ ! -f "$deps/node_modules/playwright-core/package.json" ] || [ ! -f "$deps/mermaid/dist/mermaid.min.js" ] ||
   [ "$(cat "$deps/versions" 2>/dev/null)" != "$PLAYWRIGHT $MERMAID" ]; then
  rm -rf "$deps" && mkdir -p "$deps"
  (cd "$deps" && echo '{"private": true}' >package.json &&
   npm install --silent --no-audit --no-fund "$PLAYWRIGHT" >npm.log 2>&1 &&
   npm pack --silent "$MERMAID" >>npm.log 2>&1 && mkdir mermaid && tar xzf mermaid-*.tgz -C mermaid --strip-components=1 &&
   echo "$PLAYWRIGHT $MERMAID" >versions) ||
    { cat "$deps/npm.log" >&2 || true; rm -rf "$deps"; skip "npm could not fetch $PLAYWRIGHT and $MERMAID"; }
fi

cd "$src"
"$fusesim" compare scenarios workloads --format html -o "$work/report.html"
"$fusesim" compare scenarios workloads --format md -o "$work/report.md"
cp "$src/tests/browser/check_reports.mjs" "$deps/check_reports.mjs"
node "$deps/check_reports.mjs" "$chromium" "$deps/mermaid/dist/mermaid.min.js" "$work/report.html" \
  "$work/report.md" "$src/docs/report-example.md" "$work"
