#!/usr/bin/env bash
# fusesim backs its heap with transparent huge pages (sim/cli/huge_pages.h): it
# executes itself again, once, with GLIBC_TUNABLES=glibc.malloc.hugetlb=1.
# Checked from outside, on a run long enough to watch: the process (same
# pid) ends up with the tunable in its environment, prints byte for byte
# what a run without it prints (FUSESIM_NO_HUGE_PAGES), and leaves a
# tunable the user set alone. Skipped (77) for a sanitizer build, which
# does not do it.
set -euo pipefail
src=$1
fusesim=$2
if grep -q __asan_init "$fusesim"; then
  echo "sanitizer build: no huge-page re-exec to check"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$src/scripts/gen-creates.sh" 50000 > "$tmp/c.json"

# Runs fusesim in the background with the environment given, and prints the
# GLIBC_TUNABLES its process had last before it exited (with what follows
# it: glibc, parsing a list of tunables, puts a NUL after each).
watch() {
  env "$@" "$fusesim" run "$tmp/c.json" --variants lookup-create --format json > "$tmp/out" &
  local pid=$! seen=""
  while kill -0 "$pid" 2>/dev/null; do
    local e
    e=$({ tr '\0' ' ' < "/proc/$pid/environ"; } 2>/dev/null | grep -o 'GLIBC_TUNABLES=[^ ]*\( glibc[^ ]*\)*' || true)
    [ -n "$e" ] && seen=$e
    sleep 0.005
  done
  wait "$pid"
  echo "$seen"
}

got=$(watch -u GLIBC_TUNABLES -u FUSESIM_NO_HUGE_PAGES)
[ "$got" = "GLIBC_TUNABLES=glibc.malloc.hugetlb=1" ] || { echo "FAIL: tunable not set by the re-exec: '$got'"; exit 1; }
cp "$tmp/out" "$tmp/huge"
got=$(watch -u GLIBC_TUNABLES FUSESIM_NO_HUGE_PAGES=1)
[ -z "$got" ] || { echo "FAIL: FUSESIM_NO_HUGE_PAGES still set the tunable: '$got'"; exit 1; }
cmp "$tmp/huge" "$tmp/out" || { echo "FAIL: the output differs with huge pages"; exit 1; }
got=$(watch -u FUSESIM_NO_HUGE_PAGES GLIBC_TUNABLES=glibc.malloc.hugetlb=0)
[ "$got" = "GLIBC_TUNABLES=glibc.malloc.hugetlb=0" ] || { echo "FAIL: the user's tunable was changed: '$got'"; exit 1; }
got=$(watch -u FUSESIM_NO_HUGE_PAGES GLIBC_TUNABLES=glibc.malloc.arena_max=2)
[[ "$got" == GLIBC_TUNABLES=glibc.malloc.arena_max=2* && "$got" == *glibc.malloc.hugetlb=1 ]] ||
  { echo "FAIL: the user's other tunables were not kept: '$got'"; exit 1; }
echo "ok: huge pages by re-exec, same output, the user's tunables kept"
