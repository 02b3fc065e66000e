#!/usr/bin/env bash
# Builds the whole test suite (and the CLI the tests run) with AddressSanitizer and
# UndefinedBehaviorSanitizer (-DUNFRIEND_SANITIZE=ON, CUDA off, no benchmarks) and runs ctest.
# Any sanitizer report stops the process that made it, so it shows as a failed test.
#
#   tests/sanitize.sh [CTEST_ARGS...]        e.g. tests/sanitize.sh -R 'BadInput|FuzzReplay'
#   env: SANITIZE_BUILD_DIR (default build-sanitize), SANITIZE_JOBS (build jobs, default 1),
#        SANITIZE_NICE (default 10)
#
# FAISS, OpenBLAS, libgomp and libhdf5 are Debian's uninstrumented builds: ASan still checks
# every heap access our code makes and intercepts their malloc/free, but not their own accesses.
# Leak reports from inside those libraries (known ones only) are suppressed by
# tests/fuzz/lsan.supp, which says why for each entry; a leak with only our frames is reported.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${SANITIZE_BUILD_DIR:-build-sanitize}
jobs=${SANITIZE_JOBS:-1}
nice_level=${SANITIZE_NICE:-10}

echo "== configuring $build (UNFRIEND_SANITIZE=ON, UNFRIEND_CUDA=OFF)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUNFRIEND_SANITIZE=ON \
  -DUNFRIEND_CUDA=OFF -DUNFRIEND_BENCH=OFF -DUNFRIEND_TESTS=ON >/dev/null || exit 1
echo "== building (-j$jobs)"
started=$(date +%s)
if ! nice -n "$nice_level" cmake --build "$build" -j"$jobs" >"$build/build.log" 2>&1; then
  grep -E 'error' "$build/build.log" | head -20
  echo "build failed; see $build/build.log" >&2
  exit 1
fi
echo "   built in $(($(date +%s) - started))s"

# allocator_may_return_null=1: an absurd allocation must throw std::bad_alloc as it does in the
# product (exit 1, "out of memory"), not stop the process with an ASan report.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:print_stacktrace=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0

echo "== ctest (ASAN_OPTIONS=$ASAN_OPTIONS)"
started=$(date +%s)
(cd "$build" && nice -n "$nice_level" ctest --output-on-failure --timeout 1800 "$@") \
  >"$build/ctest.log" 2>&1
status=$?
echo "   ran in $(($(date +%s) - started))s"
grep -E '^[0-9]+% tests passed|tests failed out of|\*\*\*Failed|\*\*\*Timeout|\*\*\*Exception' \
  "$build/ctest.log"
reports=$(grep -cE '^==[0-9]+==ERROR: |runtime error: ' "$build/ctest.log")
echo "sanitizer reports: $reports (full log: $build/ctest.log)"
if [ "$reports" -gt 0 ]; then
  grep -E '^==[0-9]+==ERROR: |runtime error: |^SUMMARY: ' "$build/ctest.log" | sort | uniq -c |
    head -20
fi
exit $status
