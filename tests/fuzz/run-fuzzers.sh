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
# its time (at most 20 findings per target per run). A crash whose innermost frame of real code
# is inside libhdf5 itself (not our code: nothing we can fix, and replaying it would crash the
# test binary) is moved to tests/fuzz/known-hdf5-crashes/ instead; see the README there.
# At the end the committed corpus is re-minimised (-merge=1 into an empty folder).
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
# allocator_may_return_null=1: as in the product, an absurd malloc fails (libhdf5 then reports an
# error for a corrupt length field) instead of ending the process; our own code uses new, whose
# std::bad_alloc is not an InputError and still escapes as a finding.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:print_stacktrace=1:allocator_may_return_null=1}
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
  hdf5_crashes=0
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
      # The innermost frame that is neither libc, the sanitizer runtime nor an allocator.
      frame=$(grep -E '^ +#[0-9]+ 0x' "$logs/run-$runs.log" |
        grep -vE 'libc\.so|/sysdeps/|__interceptor|sanitizer|__asan|libclang_rt|fuzzer::|in (malloc|calloc|realloc|free|operator new)' |
        head -1)
      unit=$(grep -oE 'Test unit written to [^ ]+' "$logs/run-$runs.log" | tail -1 | cut -d' ' -f5)
      if [[ "$frame" == *libhdf5* && -n "$unit" && -f "$unit" ]]; then
        mkdir -p "$root/tests/fuzz/known-hdf5-crashes"
        mv "$unit" "$root/tests/fuzz/known-hdf5-crashes/"
        cp "$logs/run-$runs.log" "$root/$build/logs/hdf5-crash-$(basename "$unit").log"
        echo "     inside libhdf5 ($(sed -E 's/.* in ([^ ]+).*/\1/' <<<"$frame")): moved to tests/fuzz/known-hdf5-crashes/"
        hdf5_crashes=$((hdf5_crashes + 1))
      fi
      [ "$findings" -ge 20 ] && break
    fi
  done
  elapsed=$(($(date +%s) - started))
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last_stats" | grep -oE '[0-9]+')
  ft=$(grep -oE 'ft: [0-9]+' <<<"$last_stats" | grep -oE '[0-9]+')
  new_files=$(($(ls "$artifacts" | wc -l) - before))

  merged=""
  if [ "${FUZZ_NO_MERGE:-0}" != 1 ]; then
    # The smallest set of committed + new inputs that keeps every covered edge (-use_counters=0:
    # edges, not hit counts, so the committed set stays a few hundred KiB), replacing the
    # committed corpus only when the merge completed. build-fuzz/corpus keeps everything.
    in_before=$(ls "$committed" | wc -l)
    minimal=$root/$build/corpus-min/$target
    rm -rf "$minimal" && mkdir -p "$minimal"
    if nice -n "$nice_level" "$root/$build/$target" -merge=1 -use_counters=0 -timeout=10 \
      -rss_limit_mb=2048 \
      "$minimal" "$committed" "$work" >"$logs/merge.log" 2>&1 && [ -n "$(ls "$minimal")" ]; then
      # Hand-made seeds keep their names; libFuzzer's own finds are named by their SHA-1.
      named=$(cd "$committed" && ls | grep -vxE '[0-9a-f]{40}' | xargs -r sha1sum | cut -d' ' -f1)
      find "$committed" -maxdepth 1 -type f -regextype egrep -regex '.*/[0-9a-f]{40}' -delete
      for unit in "$minimal"/*; do
        grep -qx "$(basename "$unit")" <<<"$named" || cp "$unit" "$committed"/
      done
      merged="; committed corpus $in_before -> $(ls "$committed" | wc -l) files"
    else
      merged="; corpus merge failed (see $logs/merge.log), committed corpus unchanged"
    fi
  fi
  line="$target: ${elapsed}s, $runs run(s), $executions executions, cov ${cov:-?} ft ${ft:-?},"
  line+=" $findings finding(s) ($hdf5_crashes inside libhdf5),"
  line+=" $new_files new file(s) in tests/fuzz/regressions/$target$merged"
  summary+=("$line")
  [ "$findings" -gt 0 ] && status=1
done

echo "== summary"
printf '%s\n' "${summary[@]}"
echo "committed corpus: $(du -sh --apparent-size tests/fuzz/corpus | cut -f1) in $(find tests/fuzz/corpus -type f | wc -l) files (keep under 2 MiB)"
exit $status
