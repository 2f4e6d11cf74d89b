#!/usr/bin/env bash
# Sets up the machine, builds, and runs every test: unit and integration tests (ctest), then the
# fuzzers (record parser, RAW object reader) for a bounded number of runs in an ASan/UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
(cd build && ctest --output-on-failure -j2 --timeout 900)
./scripts/fuzz.sh 200000
echo "test: all passed"
