#!/usr/bin/env bash
# The live demo of the whole embedded pipeline: sets up, builds, then runs producer -> stream ->
# ingest -> RAW + CLEAN -> trends -> alerts for DEMO_SECONDS (default 60) in ./demo-data, with a
# trend up on AAPL, down on MSFT and spikes so signals appear; then prints the health check.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
data="${DEMO_DATA:-./demo-data}"
seconds="${DEMO_SECONDS:-60}"
http="${DEMO_HTTP:-127.0.0.1:8080}"
rm -rf "$data"
echo "demo: running the pipeline for ${seconds}s in $data (Ctrl-C stops it early, cleanly)"
echo "demo: dashboard at http://${http}/ while it runs (DEMO_HTTP=127.0.0.1:0 picks a free port;"
echo "      the log line 'serve: dashboard at ...' names the address bound)"
INTERVAL_SEC="${INTERVAL_SEC:-0.2}" TRENDS="${TRENDS:-AAPL:+,MSFT:-}" SPIKE_EVERY="${SPIKE_EVERY:-40}" \
  DRIFT_UP="${DRIFT_UP:-0.002}" DRIFT_DOWN="${DRIFT_DOWN:-0.002}" \
  ./build/src/stockpipe --data-dir "$data" run --producer synthetic --for "${seconds}s" --http "$http" \
  --every "${TRENDS_EVERY:-10s}" --cooldown 0 --lang "${ALERT_LANG:-en}" --no-data-after 30s
echo
./build/src/stockpipe --data-dir "$data" health
echo
echo "demo: alert log in $data/alerts.jsonl, RAW under $data/raw/, quarantine under $data/rejected/"
