#!/usr/bin/env bash
# Builds the libFuzzer targets with clang + ASan/UBSan in build-fuzz/ and runs the record parser
# fuzzer for N runs (default 200000) from the seed corpus. Any crash or sanitizer report fails.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-200000}"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSTOCKPIPE_FUZZ=ON -DSTOCKPIPE_TESTS=OFF -DSTOCKPIPE_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target record_parser_fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp fuzz/corpus/record_parser/* "$work"/
./build-fuzz/fuzz/record_parser_fuzz -runs="$runs" -max_len=70000 -print_final_stats=1 "$work" 2>&1 | tail -5
