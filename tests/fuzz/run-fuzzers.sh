#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan + libFuzzer) into build-fuzz/ and runs each
# for a bounded time, one after the other, then prints a summary per target: executions,
# coverage, corpus growth and findings.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS_PER_TARGET] [TARGET...]
#     SECONDS_PER_TARGET  default 600
#     TARGET              fuzz_config, fuzz_csv_import, fuzz_hdf5_input (default: all three)
#   env: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_NICE (default 10), CC/CXX (default clang-14),
#        FUZZ_NO_MERGE=1 to leave the committed corpus as it is.
#
# Each target fuzzes a scratch corpus (build-fuzz/corpus/TARGET, seeded from the committed
# tests/fuzz/corpus/TARGET); afterwards `-merge=1` copies into the committed corpus only the
# inputs that reach new coverage, so it stays small. A finding (crash, leak, timeout, memory
# blow-up) is written to tests/fuzz/regressions/TARGET/, where tests/test_fuzz_regressions.cpp
# replays it in the ordinary test build; after a finding the target is restarted for the rest of
# its time (at most 5 findings per target per run).
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_config fuzz_csv_import fuzz_hdf5_input)
build=${FUZZ_BUILD_DIR:-build-fuzz}
nice_level=${FUZZ_NICE:-10}
export CC=${CC:-clang-14} CXX=${CXX:-clang++-14}

echo "== building ${targets[*]} in $build"
cmake -S tests/fuzz -B "$build" >/dev/null || exit 1
nice -n "$nice_level" cmake --build "$build" -j1 --target "${targets[@]}" >/dev/null || {
  echo "build failed: run cmake --build $build -j1 to see why" >&2
  exit 1
}

# Leaks inside libhdf5 itself are known (see lsan.supp); everything else stops the run.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0}

summary=()
status=0
for target in "${targets[@]}"; do
  committed=$root/tests/fuzz/corpus/$target
  work=$root/$build/corpus/$target
  artifacts=$root/tests/fuzz/regressions/$target
  logs=$root/$build/logs/$target
  mkdir -p "$committed" "$work" "$artifacts" "$logs"
  cp -n "$committed"/* "$work"/ 2>/dev/null
  before=$(ls "$artifacts" | wc -l)
  started=$(date +%s)
  deadline=$((started + seconds))
  executions=0
  findings=0
  runs=0
  last_stats=""
  echo "== $target: ${seconds}s from $(date -u +%H:%M:%SZ), corpus $(ls "$work" | wc -l) files"
  while :; do
    remaining=$((deadline - $(date +%s)))
    [ "$remaining" -lt 5 ] && break
    runs=$((runs + 1))
    # -jobs=1 runs the fuzzer in one child whose output goes to fuzz-0.log in the current folder.
    (cd "$logs" && rm -f fuzz-0.log &&
      nice -n "$nice_level" "$root/$build/$target" -jobs=1 -max_total_time="$remaining" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$work" >/dev/null 2>&1)
    cp "$logs/fuzz-0.log" "$logs/run-$runs.log" 2>/dev/null
    run_execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$logs/run-$runs.log" |
      grep -oE '[0-9]+$' | tail -1)
    if [ -z "$run_execs" ]; then  # killed by a crash before the final stats: last status line
      run_execs=$(grep -oE '^#[0-9]+' "$logs/run-$runs.log" | tail -1 | tr -d '#')
    fi
    executions=$((executions + ${run_execs:-0}))
    stats=$(grep -E '^#[0-9]+.*cov:' "$logs/run-$runs.log" | tail -1)
    [ -n "$stats" ] && last_stats=$stats
    if grep -qE '^==[0-9]+==ERROR|^SUMMARY: |Test unit written to|runtime error:' \
      "$logs/run-$runs.log"; then
      findings=$((findings + 1))
      echo "   finding in run $runs:"
      grep -E '^==[0-9]+==ERROR|runtime error:|^SUMMARY: |Test unit written to' \
        "$logs/run-$runs.log" | head -4 | sed 's/^/     /'
      [ "$findings" -ge 5 ] && break
    fi
  done
  elapsed=$(($(date +%s) - started))
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last_stats" | grep -oE '[0-9]+')
  ft=$(grep -oE 'ft: [0-9]+' <<<"$last_stats" | grep -oE '[0-9]+')
  new_files=$(($(ls "$artifacts" | wc -l) - before))

  merged=""
  if [ "${FUZZ_NO_MERGE:-0}" != 1 ]; then
    in_before=$(ls "$committed" | wc -l)
    nice -n "$nice_level" "$root/$build/$target" -merge=1 -timeout=10 -rss_limit_mb=2048 \
      "$committed" "$work" >"$logs/merge.log" 2>&1
    merged="; committed corpus +$(($(ls "$committed" | wc -l) - in_before)) files"
  fi
  line="$target: ${elapsed}s, $runs run(s), $executions executions, cov ${cov:-?} ft ${ft:-?},"
  line+=" $findings finding(s), $new_files new file(s) in tests/fuzz/regressions/$target$merged"
  summary+=("$line")
  [ "$findings" -gt 0 ] && status=1
done

echo "== summary"
printf '%s\n' "${summary[@]}"
echo "committed corpus: $(du -sh tests/fuzz/corpus | cut -f1) (keep under 2 MiB)"
exit $status
