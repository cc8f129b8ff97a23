#!/usr/bin/env bash
# Side-by-side remote-write benchmark: depin-sidecar vs Prometheus 2.42 vs
# VictoriaMetrics on identical depin-loadgen payloads (docs/benchmarks.md).
# Needs depin-sidecar and depin-loadgen built in $DEPIN_BUILD_DIR (default
# build/; `make depin-sidecar depin-loadgen`). Arguments go to bench/compare.py
# (--help lists them); with the defaults the run takes about 8 minutes.
# Every process it starts is stopped by PID when it exits or is interrupted.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${DEPIN_BUILD_DIR:-$ROOT/build}
exec /usr/bin/python3 "$ROOT/bench/compare.py" --build-dir "$BUILD_DIR" "$@"
