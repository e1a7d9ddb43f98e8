#!/usr/bin/env bash
# Installs what fusesim needs from Debian's packages, if missing.
# Idempotent; needs root (or sudo) only when something is missing.
#   scripts/install-deps.sh          what build, test and asan need
#   scripts/install-deps.sh --clang  also clang 14 with libFuzzer
#                                    (libclang-rt-14-dev) and clang-tidy,
#                                    for `make fuzz` and `make tidy`
#   scripts/install-deps.sh --browser also Debian's chromium (and Node.js with
#                                    npm if no `npm` is on PATH), for the
#                                    test that renders the reports
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libabsl-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  libfuse3-dev fuse3 python3 python3-jsonschema python3-yaml parallel
)
if [ "${1:-}" = "--clang" ]; then
  packages+=(clang libclang-rt-14-dev clang-tidy)
fi
if [ "${1:-}" = "--browser" ]; then
  packages+=(chromium)
  if ! command -v npm >/dev/null; then
    packages+=(nodejs npm)
  fi
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
