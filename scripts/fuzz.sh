#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang, ASan and UBSan into
# build-fuzz/ and runs each for a bounded time. Exits non-zero when a target
# crashes, leaks, times out or trips a sanitizer; the input that did it is
# kept in build-fuzz/artifacts/. See docs/fuzzing.md.
#
# Usage: scripts/fuzz.sh [--build-only] [seconds per target, default 20] [target ...]
# --build-only builds and runs nothing. DEPIN_FUZZ_BUILD_DIR overrides
# build-fuzz/, DEPIN_JOBS the build jobs, DEPIN_SKIP_DEPS=1 skips the
# dependency check; DEPIN_FUZZ_EXTRA_TARGETS names more targets to build with
# the same instrumentation (scripts/test.sh builds unit-tests there, so one
# sanitizer build serves the unit tests and the fuzzers).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BUILD_ONLY=0
if [ "${1:-}" = --build-only ]; then
  BUILD_ONLY=1
  shift
fi
SECONDS_PER_TARGET=${1:-20}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(fuzz_decode fuzz_write_view fuzz_decode_v2 fuzz_ingest_write fuzz_labels fuzz_duration fuzz_config)
fi
read -r -a EXTRA_TARGETS <<<"${DEPIN_FUZZ_EXTRA_TARGETS:-}"
BUILD_DIR=${DEPIN_FUZZ_BUILD_DIR:-build-fuzz}
JOBS=${DEPIN_JOBS:-$(nproc 2>/dev/null || echo 2)}

if [ "${DEPIN_SKIP_DEPS:-0}" != 1 ]; then
  scripts/install-deps.sh || exit 1
fi
echo "fuzz: configuring $BUILD_DIR (clang, -fsanitize=fuzzer,address,undefined)"
mkdir -p "$BUILD_DIR"
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDEPIN_FUZZ=ON -DDEPIN_BUILD_TESTS=ON -DDEPIN_BUILD_BENCH=OFF >"$BUILD_DIR/configure.log" 2>&1 ||
  { cat "$BUILD_DIR/configure.log"; echo "fuzz: configure failed" >&2; exit 1; }
cmake --build "$BUILD_DIR" -j "$JOBS" --target "${TARGETS[@]}" "${EXTRA_TARGETS[@]}" ||
  { echo "fuzz: build failed" >&2; exit 1; }
[ "$BUILD_ONLY" = 1 ] && exit 0

mkdir -p "$BUILD_DIR/artifacts"
passed=0
failed=0
summary=()
for t in "${TARGETS[@]}"; do
  # New inputs go to the first (working) corpus; the seeds in fuzz/corpus/
  # are only read, so the repository never changes under a run.
  work="$BUILD_DIR/corpus/$t"
  log="$BUILD_DIR/$t.log"
  mkdir -p "$work"
  echo "fuzz: $t for ${SECONDS_PER_TARGET}s"
  "$BUILD_DIR/fuzz/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$BUILD_DIR/artifacts/$t-" \
    "$work" "fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  stats=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 |
    sed -E 's/^#([0-9]+).*cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+)\/([^ ]+).*exec\/s: ([0-9]+).*/\1 execs, cov \2, ft \3, corpus \4 (\5), \6 exec\/s/')
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    summary+=("  ok   $t: $stats")
  else
    failed=$((failed + 1))
    summary+=("  FAIL $t (exit $rc): see $log and $BUILD_DIR/artifacts/")
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20
  fi
done
echo
echo "=== fuzz summary (${SECONDS_PER_TARGET}s per target) ==="
for s in "${summary[@]}"; do echo "$s"; done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
