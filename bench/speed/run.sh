#!/usr/bin/env bash
# unfriend against the first script a user would write (bench/speed/faiss_script.py: FAISS exact
# IndexFlatIP k = 16, then scipy connected components), side by side in one run on the same
# machine and the same synth set, with F1 for both; plus the exact kNN's GFLOP/s as a fraction
# of the machine's sgemm rate (build/bench/sgemm_peak). Writes bench/results/speed.md and .json.
# Run from anywhere after `bash .ci/build` (installs the Python peer into build/peers-venv):
#   bash bench/speed/run.sh [ROWS [DIMS [SEED]]]      (default: 100000 80 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-100000}
dims=${2:-80}
seed=${3:-3}
build=${UNFRIEND_BUILD_DIR:-build}
bin="$build/unfriend"
[ -x "$bin" ] || { echo "bench/speed/run.sh: $bin not built (run: bash .ci/build)" >&2; exit 2; }
[ -x "$build/bench/sgemm_peak" ] || cmake --build "$build" --target sgemm_peak >/dev/null
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
venv=$build/peers-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r bench/peers/requirements.txt

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data="$work/synth.h5"
"$bin" -q synth -o "$data" --rows "$rows" --dims "$dims" --seed "$seed"

# The peer first, then unfriend's default sweep, then its exact search (for the GFLOP/s).
/usr/bin/time -f "%e %M" -o "$work/peer.time" \
  "$venv/bin/python" bench/speed/faiss_script.py "$data" "$work/peer.h5" "$work/peer.json"
"$bin" evaluate "$work/peer.h5" --truth "$data" --json "$work/peer-eval.json" >/dev/null
/usr/bin/time -f "%e %M" -o "$work/sweep.time" \
  "$bin" -q sweep "$data" -o "$work/sweep.h5" --backend cpu --json >/dev/null
"$bin" evaluate "$work/sweep.h5" --truth "$data" --json "$work/sweep-eval.json" >/dev/null
/usr/bin/time -f "%e %M" -o "$work/exact.time" \
  "$bin" -q sweep "$data" -o "$work/exact.h5" --backend cpu --knn-mode exact --json >/dev/null
"$bin" evaluate "$work/exact.h5" --truth "$data" --json "$work/exact-eval.json" >/dev/null
"$build/bench/sgemm_peak" "$dims" > "$work/sgemm.json"

python3 - "$work" "$rows" "$dims" "$seed" <<'PY'
import datetime, json, os, subprocess, sys
work, rows, dims, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def timed(name):
    wall, peak = open(f"{work}/{name}.time").read().split()
    return float(wall), int(peak) / 1024
def f1(name):
    return json.load(open(f"{work}/{name}-eval.json"))["accounts"]["f1"]
peer = json.load(open(f"{work}/peer.json"))
sweep = json.load(open(f"{work}/sweep.summary.json"))
exact = json.load(open(f"{work}/exact.summary.json"))
sgemm = json.load(open(f"{work}/sgemm.json"))
pw, pm = timed("peer")
sw, sm = timed("sweep")
ew, em = timed("exact")
# The exact search scores every pair once: N(N-1)/2 dot products of D multiply-adds, plus the
# diagonal tiles scored from both of their rows' sides.
pair_flops = rows * (rows - 1) / 2 * dims * 2
exact_knn_s = exact["stage_seconds"]["knn"]
exact_gflops = pair_flops / exact_knn_s / 1e9
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
result = {
    "date": datetime.date.today().isoformat(), "commit": commit, "rows": rows, "dims": dims, "seed": seed,
    "peer": {"wall_s": pw, "peak_mib": pm, "f1": f1("peer"), **peer},
    "sweep": {"wall_s": sw, "peak_mib": sm, "f1": f1("sweep"), "knn_mode": sweep["knn"]["mode"],
              "recall_at_k": sweep["knn"].get("recall_at_k"), "stage_seconds": sweep["stage_seconds"]},
    "exact": {"wall_s": ew, "peak_mib": em, "f1": f1("exact"), "stage_seconds": exact["stage_seconds"],
              "gflops": exact_gflops},
    "sgemm": sgemm,
}
json.dump(result, open("bench/results/speed.json", "w"), indent=2)
stages = lambda s: ", ".join(f"{k} {v:.2f}" for k, v in s.items() if v >= 0.005)
lines = [
    "# unfriend against the first script a user would write",
    "",
    f"- date: {result['date']}, commit {commit}, machine: {os.cpu_count()} cores",
    f"- data: `unfriend synth --rows {rows} --dims {dims} --seed {seed}`",
    f"- command: `bash bench/speed/run.sh {rows} {dims} {seed}` (all runs one after another, nothing else running)",
    f"- peer: `bench/speed/faiss_script.py` (faiss {peer['faiss']}, {peer['omp_threads']} OpenMP threads): "
    "standardise, exact IndexFlatIP k = 16, knee threshold, scipy connected components",
    "",
    "| run | wall s | peak MiB | F1 | kNN | stage seconds |",
    "|---|---|---|---|---|---|",
    f"| faiss script | {pw:.2f} | {pm:.0f} | {result['peer']['f1']:.4f} | exact, k=16 | load {peer['load_s']:.2f}, knn {peer['knn_s']:.2f}, components {peer['components_s']:.2f} |",
    f"| `unfriend sweep` (default) | {sw:.2f} | {sm:.0f} | {result['sweep']['f1']:.4f} | {sweep['knn']['mode']}, k=32"
    + (f", recall@k {sweep['knn']['recall_at_k']:.3f}" if sweep['knn'].get('recall_at_k') is not None else "")
    + f" | {stages(sweep['stage_seconds'])} |",
    f"| `unfriend sweep --knn-mode exact` | {ew:.2f} | {em:.0f} | {result['exact']['f1']:.4f} | exact, k=32 | {stages(exact['stage_seconds'])} |",
    "",
    f"- default sweep / faiss script: **{sw / pw:.3f}** of its time (target: at most 0.25, with F1 equal or better)",
    f"- exact kNN: {exact_gflops:.1f} GFLOP/s (N(N-1)/2 pairs x {dims} multiply-adds in {exact_knn_s:.2f} s) "
    f"= **{exact_gflops / sgemm['gflops']:.2f}** of the machine's sgemm rate, "
    f"{sgemm['gflops']:.1f} GFLOP/s on {sgemm['threads']} threads ({sgemm['gflops_one_thread']:.1f} on one; "
    f"OpenBLAS, {sgemm['block_rows']}-row blocks, `build/bench/sgemm_peak {dims}`)",
]
open("bench/results/speed.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
