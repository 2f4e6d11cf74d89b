#!/usr/bin/env bash
# Builds the libFuzzer targets with clang + ASan/UBSan in build-fuzz/ and runs them from their seed
# corpora: the record parser for N runs (default 200000), then the RAW object reader for N/4 (each
# of its inputs may inflate to its 256 KiB limit three times: ~4x slower a run). Any crash or
# sanitizer report fails.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-200000}"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSTOCKPIPE_FUZZ=ON -DSTOCKPIPE_TESTS=OFF -DSTOCKPIPE_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target record_parser_fuzz object_reader_fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() {  # target, corpus folder, runs, extra libFuzzer flags...
  local target=$1 corpus=$2 runs=$3
  shift 3
  mkdir -p "$work/$target"
  cp "fuzz/corpus/$corpus"/* "$work/$target"/
  echo "fuzz: $target, $runs runs"
  # A fixed seed (FUZZ_SEED, default 1) makes the test command's run the same every time; a
  # random one (FUZZ_SEED=0) explores further when hunting.
  if ! "./build-fuzz/fuzz/$target" -runs="$runs" -seed="${FUZZ_SEED:-1}" -print_final_stats=1 "$@" \
    "$work/$target" \
    >"$work/$target.log" 2>&1; then
    tail -60 "$work/$target.log"  # the failing input and the report
    return 1
  fi
  tail -5 "$work/$target.log"
}
run record_parser_fuzz record_parser "$runs" -max_len=70000
# Objects up to 64 KiB; the reader's own limit bounds what one inflates to.
run object_reader_fuzz object_reader "$((runs / 4))" -max_len=65536 -rss_limit_mb=1024
