#!/usr/bin/env bash
# The GPU check, run on a GPU machine from the repository root with bundle/ present (built here by
# bench/make-gpu-bundle.sh and carried along):
#   1. the GPU tests (test_cuda_kernels in full; the CUDA cases of the other GPU test binaries),
#      with UNFRIEND_REQUIRE_GPU=1 so that a GPU case that cannot run fails instead of skipping,
#   2. compute-sanitizer memcheck of the kernel tests and of a small end-to-end sweep
#      (bundle/unfriend synth, then bundle/unfriend sweep --backend cuda),
#   3. an end-to-end sweep of 1M synthetic accounts from HDF5 to labels on the GPU (stage times,
#      streaming rates and F1 from its summary),
#   4. the GPU benchmark (gpu_bench) at 1M and 4M rows (D = 64, 128); 15M rows (about 450 s of
#      score traffic) only with GPU_CHECK_15M=1, never in the default run,
# then prints a summary table and writes everything to bench/results/gpu-check-<date>.md (and
# copies it to $OUT when that is set). The plan is printed up front; each step has a time limit
# and the default run is planned to finish in under 8 minutes (GPU_CHECK_SECONDS overrides the
# budget), so that a second try fits in a 15-minute lease. Exit status: 0 when every step passed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
bundle=bundle
budget=${GPU_CHECK_SECONDS:-470}
start=$SECONDS
stamp=$(date -u +%Y-%m-%d-%H%M%S)
mkdir -p bench/results
report=bench/results/gpu-check-$stamp.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The bundle travels packed (see make-gpu-bundle.sh). Python's tarfile unpacks xz by itself, so
# the check does not depend on an xz binary being installed there.
if [ -f "$bundle/payload.tar.xz" ]; then
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
      "$bundle/payload.tar.xz" "$bundle" 2>/dev/null ||
    tar -C "$bundle" -xJf "$bundle/payload.tar.xz" ||
    { echo "gpu-check: cannot unpack $bundle/payload.tar.xz" >&2; exit 2; }
fi
# compute-sanitizer lives beside nvcc.
[ -d /usr/local/cuda/bin ] && export PATH="/usr/local/cuda/bin:$PATH"
export UNFRIEND_REQUIRE_GPU=1
# The binaries load the bundle's CUDA module (lib/ beside them), never one named from outside.
unset UNFRIEND_CUDA_MODULE
if [ ! -x "$bundle/unfriend" ] || [ ! -x "$bundle/test_cuda_kernels" ] || [ ! -x "$bundle/gpu_bench" ] ||
   [ ! -f "$bundle/lib/libunfriend-cuda.so" ]; then
  echo "gpu-check: $bundle/ is missing or incomplete: run bench/make-gpu-bundle.sh first" >&2
  exit 2
fi

# cuBLAS comes from the machine's CUDA toolkit (it is not bundled); the Python wheel's copy is a
# fallback where the toolkit's lib folder lacks it.
cuda_libs=""
for dir in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib; do
  [ -d "$dir" ] && cuda_libs="$cuda_libs:$dir"
done
# Wheels: CUDA 12's nvidia-cublas-cu12 installs nvidia/cublas/lib, CUDA 13's nvidia/cu13/lib.
wheel_libs=$(python3 - <<'PY' 2>/dev/null || true
import importlib.util, os
spec = importlib.util.find_spec("nvidia")
for root in (list(spec.submodule_search_locations) if spec else []):
    for sub in ("cu13/lib", "cublas/lib"):
        d = os.path.join(root, sub)
        if os.path.isdir(d):
            print(d)
PY
)
for dir in $wheel_libs; do cuda_libs="$cuda_libs:$dir"; done
export LD_LIBRARY_PATH="$PWD/$bundle/lib${cuda_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

summary=()   # "| step | result | seconds |" rows
failed=0

remaining() { echo $((budget - (SECONDS - start))); }

# run_step NAME LIMIT_SECONDS COMMAND...: runs with a time limit (never past the budget), keeps the
# output in the log, records pass/fail. Sets step_rc and step_out.
run_step() {
  local name=$1 limit=$2
  shift 2
  local left
  left=$(remaining)
  [ "$limit" -gt "$left" ] && limit=$left
  if [ "$limit" -lt 10 ]; then
    summary+=("| $name | skipped: out of time | 0 |")
    failed=1
    step_rc=124
    step_out=""
    step_took=0
    return
  fi
  local t0=$SECONDS
  step_out=$(timeout --kill-after=10 "$limit" "$@" 2>&1)
  step_rc=$?
  local took=$((SECONDS - t0))
  {
    echo "### $name"
    echo '```'
    echo "\$ $*"
    echo "$step_out" | tail -n 200
    echo "(exit $step_rc after ${took}s)"
    echo '```'
  } >>"$work/details.md"
  step_took=$took
}

gtest_counts() {
  # "N passed, M failed, S skipped" from a gtest run's output.
  local passed failed_n skipped
  passed=$(echo "$1" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  failed_n=$(echo "$1" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  skipped=$(echo "$1" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -1)
  echo "${passed:-0} passed, ${failed_n:-0} failed, ${skipped:-0} skipped"
}

# The plan, up front: every step with its time limit. Limits are caps (a step that hangs is cut
# there); the expected total is what the steps took in the dry runs plus the estimates of
# bench/README.md, and stays under the budget.
plan_rows=(
  "test_cuda_kernels|150|60"
  "CUDA cases of the other GPU test binaries|60 each (120 test_backend_sweep)|90"
  "memcheck: kernel tests, cluster tests, small sweep|100, 60, 120|150"
  "synth 1M, sweep 1M --backend cuda, evaluate|90, 150, 60|60"
  "gpu_bench 1M (D 64, 128)|120|40"
  "gpu_bench 4M (D 64, 128)|150|90"
)
echo "gpu-check plan (budget ${budget} s; the expected times add up to 490 s):"
for row in "${plan_rows[@]}"; do
  IFS='|' read -r what limit expected <<<"$row"
  printf '  %-52s limit %-36s expected %s s\n' "$what" "$limit" "$expected"
done
[ "${GPU_CHECK_15M:-0}" = 1 ] && echo "  gpu_bench 15M (GPU_CHECK_15M=1)                      limit 180, only when 200 s are left"

{
  echo "# GPU check $stamp"
  echo
  echo '```'
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | head -3
  echo "host: $(uname -n), $(nproc) cores; LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  head -3 "$bundle/MANIFEST.txt" 2>/dev/null
  command -v compute-sanitizer >/dev/null && compute-sanitizer --version | tail -1
  # The CUDA module the binaries load (lib/ beside them) and where its cuBLAS comes from.
  echo "CUDA module: $bundle/lib/libunfriend-cuda.so"
  ldd "$bundle/lib/libunfriend-cuda.so" 2>&1 | grep -E 'libcublas|not found' | sed 's/^[[:space:]]*/  /'
  echo '```'
  echo
} >"$work/header.md"

# 1. GPU tests.
run_step "test_cuda_kernels" 150 "$bundle/test_cuda_kernels" --gtest_brief=1
result="$(gtest_counts "$step_out")"
skipped=$(echo "$step_out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -1)
# On a GPU machine exactly one case skips: the one for machines without a GPU.
if [ "$step_rc" -ne 0 ] || [ "${skipped:-0}" -gt 1 ]; then
  failed=1
  [ "${skipped:-0}" -gt 1 ] && result="$result; GPU cases skipped: no usable GPU?"
  result="FAIL ($result, exit $step_rc)"
else
  result="pass ($result)"
fi
summary+=("| test_cuda_kernels | $result | $step_took |")

for test_binary in "$bundle"/test_*; do
  [ "$(basename "$test_binary")" = test_cuda_kernels ] && continue
  [ -x "$test_binary" ] || continue
  name=$(basename "$test_binary")
  limit=60
  # Its CPU reference sweep runs on the bundle's reference BLAS: slower than OpenBLAS.
  [ "$name" = test_backend_sweep ] && limit=120
  # Less the cases for machines without a GPU, which skip where there is one.
  run_step "$name (CUDA cases)" "$limit" "$test_binary" --gtest_brief=1 \
    '--gtest_filter=*cuda*:*Cuda*:*CUDA*:*gpu*:*Gpu*:*GPU*-RequireGpu.*:SweepCli.CudaWithoutGpuIsUsageError'
  skipped=$(echo "$step_out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -1)
  # With a GPU none of these cases may skip.
  if [ "$step_rc" -ne 0 ] || [ "${skipped:-0}" -gt 0 ]; then
    failed=1
    result="FAIL ($(gtest_counts "$step_out"), exit $step_rc)"
  else
    result="pass ($(gtest_counts "$step_out"))"
  fi
  summary+=("| $name (CUDA cases) | $result | $step_took |")
done

# 2. compute-sanitizer memcheck.
# record_memcheck NAME: the summary row of the memcheck step just run (its error count).
# Some GPU runtimes (gVisor) refuse compute-sanitizer ("Device not supported"): that is recorded
# as not available there, not as a failure of our code.
record_memcheck() {
  local errors result
  errors=$(echo "$step_out" | sed -n 's/.*ERROR SUMMARY: \([0-9]*\) error.*/\1/p' | tail -1)
  if echo "$step_out" | grep -q "Device not supported"; then
    result="not available: compute-sanitizer refuses this runtime's device"
  elif [ "$step_rc" -ne 0 ]; then failed=1; result="FAIL (${errors:-?} errors, exit $step_rc)";
  else result="pass (${errors:-0} errors)"; fi
  summary+=("| $1 | $result | $step_took |")
}
if command -v compute-sanitizer >/dev/null; then
  # One cudaMalloc per temporary (not one stack region), so memcheck sees every buffer's bounds.
  sanitize=(env UNFRIEND_CUDA_DIRECT_ALLOC=1
            compute-sanitizer --tool memcheck --leak-check no --error-exitcode 99 --print-limit 20)
  run_step "memcheck: kernel tests" 100 "${sanitize[@]}" "$bundle/test_cuda_kernels" --gtest_brief=1 \
    '--gtest_filter=SelectK*:Cases/SelectK*:ThresholdEdges*:UnionFind*:RescoreKernel*:ConvertRows*:PrepareKernels*:Shapes/CudaBackendKnn.*777x33*'
  record_memcheck "memcheck: kernel tests"

  run_step "memcheck: cluster tests" 60 "${sanitize[@]}" "$bundle/test_cuda_clusters" --gtest_brief=1
  record_memcheck "memcheck: cluster tests"

  run_step "synth (small)" 60 "$bundle/unfriend" synth -o "$work/small.h5" --rows 4000 --dims 24 \
    --seed 3 --overwrite
  if [ "$step_rc" -ne 0 ]; then
    failed=1
    summary+=("| memcheck: sweep --backend cuda | FAIL (synth exit $step_rc) | $step_took |")
  else
    run_step "memcheck: sweep --backend cuda" 120 "${sanitize[@]}" "$bundle/unfriend" sweep \
      "$work/small.h5" -o "$work/small-out.h5" --backend cuda --k 16 --overwrite
    record_memcheck "memcheck: sweep --backend cuda"
  fi
else
  failed=1
  summary+=("| memcheck | FAIL: compute-sanitizer not found | 0 |")
fi

# 3. End to end from HDF5 to labels at 1M accounts: the sweep streams the file to the GPU, builds
#    the graph, labels and scores on the GPU; its summary gives each stage's time and rate.
sweep_table=""
run_step "synth 1M x 64" 90 "$bundle/unfriend" synth -o "$work/1m.h5" --rows 1000000 --dims 64 \
  --seed 1 --overwrite
if [ "$step_rc" -ne 0 ]; then
  failed=1
  summary+=("| sweep 1M --backend cuda | FAIL (synth exit $step_rc) | $step_took |")
else
  run_step "sweep 1M --backend cuda" 150 "$bundle/unfriend" sweep "$work/1m.h5" \
    -o "$work/1m-out.h5" --backend cuda --overwrite
  sweep_rc=$step_rc
  sweep_took=$step_took
  run_step "evaluate 1M" 60 "$bundle/unfriend" evaluate "$work/1m-out.h5" --truth "$work/1m.h5"
  f1=$(echo "$step_out" | sed -n 's/.*F1 \([0-9.]*\).*/\1/p' | head -1)
  if [ "$sweep_rc" -ne 0 ]; then failed=1; summary+=("| sweep 1M --backend cuda | FAIL (exit $sweep_rc) | $sweep_took |");
  else summary+=("| sweep 1M --backend cuda | pass (F1 ${f1:-?}) | $sweep_took |"); fi
  if [ "$sweep_rc" -eq 0 ] && [ -f "$work/1m-out.summary.json" ]; then
    sweep_table=$(python3 - "$work/1m-out.summary.json" <<'PY' 2>&1
import json, sys
s = json.load(open(sys.argv[1]))
stages = s.get("stage_seconds", {})
print("| N | D | backend | prepared on | wall s | " + " | ".join(f"{k} s" for k in stages) + " |")
print("|---" * (5 + len(stages)) + "|")
print(f"| {s['input']['rows']} | {s['input']['features']} | {s['backend']} | "
      f"{s.get('prepare', {}).get('where', '?')} | {s['wall_seconds']:.2f} | "
      + " | ".join(f"{v:.2f}" for v in stages.values()) + " |")
print()
print("| prepare stage | MB | seconds | MB/s |")
print("|---|---|---|---|")
for st in s.get("prepare", {}).get("stages", []):
    print(f"| {st['stage']} | {st['bytes'] / 1e6:.0f} | {st['seconds']:.3f} | {st['mb_per_s']:.0f} |")
PY
)
  fi
fi

# 4. Benchmark: resident from host memory at 1M, from device memory at 4M (15M only on request:
#    about 1.8 PB of score traffic, which no default run has time for).
bench_table=""
run_step "gpu_bench 1M" 120 "$bundle/gpu_bench" --rows 1M --dims 64,128 --k 32 --source host \
  --check-rows 32
if [ "$step_rc" -ne 0 ]; then failed=1; summary+=("| gpu_bench 1M | FAIL (exit $step_rc) | $step_took |");
else summary+=("| gpu_bench 1M | pass | $step_took |"); fi
bench_table=$(echo "$step_out" | grep -v '^gpu_bench:')
run_step "gpu_bench 4M" 150 "$bundle/gpu_bench" --rows 4M --dims 64,128 --k 32 --source device \
  --check-rows 16
if [ "$step_rc" -ne 0 ]; then failed=1; summary+=("| gpu_bench 4M | FAIL (exit $step_rc) | $step_took |");
else summary+=("| gpu_bench 4M | pass | $step_took |"); fi
bench_table="$bench_table
$(echo "$step_out" | grep '^| [0-9]')"
if [ "${GPU_CHECK_15M:-0}" != 1 ]; then
  summary+=("| gpu_bench 15M (optional) | not run: GPU_CHECK_15M=1 runs it | 0 |")
elif [ "$(remaining)" -gt 200 ]; then
  run_step "gpu_bench 15M" 180 "$bundle/gpu_bench" --rows 15M --dims 64 --k 32 --source device \
    --check-rows 8
  if [ "$step_rc" -ne 0 ]; then summary+=("| gpu_bench 15M (optional) | not passed (exit $step_rc) | $step_took |");
  else summary+=("| gpu_bench 15M (optional) | pass | $step_took |"); fi
  bench_table="$bench_table
$(echo "$step_out" | grep '^| [0-9]')"
else
  summary+=("| gpu_bench 15M (optional) | not run: $(remaining) s left | 0 |")
fi

{
  cat "$work/header.md"
  echo "## Summary"
  echo
  echo "| step | result | seconds |"
  echo "|---|---|---|"
  printf '%s\n' "${summary[@]}"
  echo
  echo "Total: $((SECONDS - start)) s; overall: $([ "$failed" -eq 0 ] && echo PASS || echo FAIL)"
  echo
  echo "## End to end: sweep from HDF5 to labels"
  echo
  echo "${sweep_table:-not measured}"
  echo
  echo "## Benchmark"
  echo
  echo "$bench_table"
  echo
  echo "## Details"
  echo
  cat "$work/details.md"
} >"$report"

# The summary and benchmark on the terminal; the details stay in the file.
sed -n '1,/^## Details/p' "$report" | sed '$d'
echo "gpu-check: wrote $report"
if [ -n "${OUT:-}" ] && [ -d "${OUT:-}" ]; then cp "$report" "$OUT/"; fi
exit "$failed"
