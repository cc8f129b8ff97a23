#!/usr/bin/env bash
# The project's test command (README, CI): installs dependencies, builds,
# runs every test (unit + integration), then makes one clang build with
# AddressSanitizer + UndefinedBehaviorSanitizer (and libFuzzer's coverage),
# runs the unit tests under it and every fuzz target briefly
# (scripts/fuzz.sh). Exits non-zero on any failure.
# DEPIN_BUILD_DIR / DEPIN_FUZZ_BUILD_DIR override build/ and build-fuzz/;
# DEPIN_JOBS the number of parallel build jobs; DEPIN_FUZZ_SECONDS the time
# per fuzz target (default 15; 0 skips fuzzing, not the sanitizer tests).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BUILD_DIR=${DEPIN_BUILD_DIR:-build}
SAN_DIR=${DEPIN_FUZZ_BUILD_DIR:-build-fuzz}
START=$(date +%s)
LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/depin-test.XXXXXX")
trap 'rm -rf "$LOG_DIR"' EXIT
failures=()
results=()

step() { echo; echo "=== $* (at $(($(date +%s) - START)) s) ==="; }

# Reads CTest's closing line "N% tests passed, F tests failed out of T".
ctest_counts() {
  local line total failed
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -1)
  if [ -z "$line" ]; then echo "0 0"; return; fi
  failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
  echo "$((total - failed)) $failed"
}

passed_total=0
failed_total=0
run_ctest() { # name, ctest args...
  local name=$1; shift
  local log="$LOG_DIR/$name.log"
  ctest "$@" --output-on-failure 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  read -r p f < <(ctest_counts "$log")
  passed_total=$((passed_total + p))
  failed_total=$((failed_total + f))
  if [ "$rc" -ne 0 ] || [ "$p" -eq 0 ]; then
    failures+=("$name (ctest exit $rc)")
  fi
  results+=("$name: $p passed, $f failed")
}

step "dependencies"
if ! scripts/install-deps.sh; then
  echo "test: installing dependencies failed" >&2
  exit 1
fi

step "build ($BUILD_DIR/)"
if ! DEPIN_SKIP_DEPS=1 DEPIN_BUILD_DIR=$BUILD_DIR scripts/build.sh; then
  echo "test: build failed" >&2
  exit 1
fi

step "all tests ($BUILD_DIR/)"
# Integration tests mostly wait on real processes: run three at a time.
run_ctest "all-tests" --test-dir "$BUILD_DIR" --parallel 3

# --- sanitizers and fuzzing (docs/fuzzing.md) --------------------------------
# One clang build serves both (a second, GCC sanitizer build of the unit
# tests took as long as the main build): the unit test binaries and the
# libFuzzer targets, all with ASan + UBSan.
step "sanitizer build ($SAN_DIR/: clang, ASan + UBSan, libFuzzer)"
if DEPIN_SKIP_DEPS=1 DEPIN_FUZZ_BUILD_DIR=$SAN_DIR DEPIN_FUZZ_EXTRA_TARGETS=unit-tests \
  scripts/fuzz.sh --build-only; then
  step "unit tests under ASan+UBSan ($SAN_DIR/)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_ctest "unit-tests-asan" --test-dir "$SAN_DIR" -L unit

  # Every libFuzzer target for a bounded time; any crash or sanitizer report
  # fails the run.
  FUZZ_SECONDS=${DEPIN_FUZZ_SECONDS:-15}
  if [ "$FUZZ_SECONDS" != 0 ]; then
    step "fuzzing (${FUZZ_SECONDS}s per target)"
    DEPIN_SKIP_DEPS=1 DEPIN_FUZZ_BUILD_DIR=$SAN_DIR scripts/fuzz.sh "$FUZZ_SECONDS" 2>&1 |
      tee "$LOG_DIR/fuzz.log"
    fuzz_rc=${PIPESTATUS[0]}
    read -r fp ff < <(sed -nE 's/^fuzz: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' \
      "$LOG_DIR/fuzz.log" | tail -1)
    fp=${fp:-0}
    ff=${ff:-0}
    passed_total=$((passed_total + fp))
    failed_total=$((failed_total + ff))
    results+=("fuzz: $fp passed, $ff failed")
    if [ "$fuzz_rc" -ne 0 ] || [ "$fp" -eq 0 ]; then failures+=("fuzz (exit $fuzz_rc)"); fi
  fi
else
  failures+=("sanitizer build")
fi
# ------------------------------------------------------------------------------

END=$(date +%s)
echo
echo "=== summary ($((END - START)) s) ==="
for r in "${results[@]}"; do echo "  $r"; done
if [ ${#failures[@]} -gt 0 ]; then
  for f in "${failures[@]}"; do echo "  FAILED: $f"; done
fi
echo "total: $passed_total passed, $failed_total failed"
[ ${#failures[@]} -eq 0 ]
