#!/usr/bin/env bash
# Installs dependencies and builds into build/ (or build-asan/ with
# DEPIN_SANITIZE=1: AddressSanitizer + UndefinedBehaviorSanitizer, no benchmarks).
# Extra arguments are passed to the CMake configure step.
# DEPIN_SKIP_DEPS=1 skips the dependency check; DEPIN_BUILD_DIR overrides the
# build directory, DEPIN_JOBS the number of parallel jobs (default: nproc) and
# DEPIN_BUILD_TARGET the one target to build (default: all).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

if [ "${DEPIN_SKIP_DEPS:-0}" != 1 ]; then
  scripts/install-deps.sh
fi

JOBS=${DEPIN_JOBS:-$(nproc 2>/dev/null || echo 2)}
if [ "${DEPIN_SANITIZE:-0}" = 1 ]; then
  BUILD_DIR=${DEPIN_BUILD_DIR:-build-asan}
  ARGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DDEPIN_SANITIZE=ON -DDEPIN_BUILD_BENCH=OFF)
else
  BUILD_DIR=${DEPIN_BUILD_DIR:-build}
  ARGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DDEPIN_SANITIZE=OFF)
fi

echo "build: configuring $BUILD_DIR"
cmake -S . -B "$BUILD_DIR" "${ARGS[@]}" "$@"
echo "build: building $BUILD_DIR with $JOBS jobs"
if [ -n "${DEPIN_BUILD_TARGET:-}" ]; then
  cmake --build "$BUILD_DIR" -j "$JOBS" --target "$DEPIN_BUILD_TARGET"
else
  cmake --build "$BUILD_DIR" -j "$JOBS"
fi
echo "build: $BUILD_DIR done"
