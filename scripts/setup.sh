#!/usr/bin/env bash
# Installs what stockpipe needs to build and test on Debian 12. Idempotent: packages already
# present are skipped, so a second run costs a dpkg query.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  libsimdjson-dev libsqlite3-dev zlib1g-dev libdeflate-dev libfmt-dev libspdlog-dev libcli11-dev
  libtomlplusplus-dev libexpat1-dev libcurl4-openssl-dev nlohmann-json3-dev libcpp-httplib-dev libboost-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev sqlite3
  chromium  # headless browser of the dashboard test (tests/serve/dashboard_browser_test.cc)
  # The .deb and its test (tests/packaging/deb_test.cc): dpkg-shlibdeps computes Depends, file
  # tells CPack what to strip, systemd-analyze verifies the unit.
  dpkg-dev file systemd
  openssl  # the HTTPS test's self-signed certificate (tests/serve/https_test.cc)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi

# Test peers (AWS emulators) from the npm registry, versions pinned by tests/peers/package-lock.json.
# Node.js and npm come with the machine; Debian's are the fallback.
if ! command -v npm >/dev/null; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm
fi
peers="$(cd "$(dirname "$0")/../tests/peers" && pwd)"
# The lock file copied into node_modules after an install marks it as matching.
if ! cmp -s "$peers/package-lock.json" "$peers/node_modules/.installed-lock.json"; then
  echo "setup: installing test peers (npm ci in tests/peers)"
  (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error &&
    cp package-lock.json node_modules/.installed-lock.json)
else
  echo "setup: test peers present"
fi
