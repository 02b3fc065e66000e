#!/usr/bin/env bash
# End-to-end CPU sweep benchmark: synth data sets of 200K and 1M accounts x 64 features, swept
# with the default configuration (auto kNN: IVF above 100K rows, recall measured on a sample),
# timed per stage, with peak memory from the OS (GNU time). Writes
# bench/results/cpu-sweep.md and .json. Run from the repository root after `bash .ci/build`.
#   bash bench/cpu-sweep.sh [ROWS...]      (default: 200000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${UNFRIEND_BUILD_DIR:-build}
bin="$build/unfriend"
[ -x "$bin" ] || { echo "bench/cpu-sweep.sh: $bin not built (run: bash .ci/build)" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
command -v python3 >/dev/null || apt-get install -y -qq python3 >/dev/null
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(200000 1000000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=bench/results
mkdir -p "$results"
runs=()
for rows in "${sizes[@]}"; do
  data="$work/synth-$rows.h5"
  out="$work/sweep-$rows.h5"
  "$bin" -q synth -o "$data" --rows "$rows" --dims 64 --seed 1
  /usr/bin/time -v -o "$work/time-$rows.txt" "$bin" -q sweep "$data" -o "$out" --backend cpu >/dev/null
  "$bin" evaluate "$out" --truth "$data" --json "$work/eval-$rows.json" >/dev/null
  runs+=("$rows")
done
python3 - "$work" "$results" "${runs[@]}" <<'PY'
import json, re, sys, platform, datetime, subprocess, os
work, results, sizes = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = []
for n in sizes:
    summary = json.load(open(f"{work}/sweep-{n}.summary.json"))
    ev = json.load(open(f"{work}/eval-{n}.json"))
    tv = open(f"{work}/time-{n}.txt").read()
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", tv).group(1))
    n_rows, d = summary["input"]["rows"], summary["input"]["features"]
    k = summary["knn"]["k"]
    feature_bytes = n_rows * d * 4
    graph_bytes = n_rows * k * (8 + 4)
    rows.append({
        "rows": n_rows, "dims": d, "k": k, "knn_mode": summary["knn"]["mode"],
        "ivf_nprobe": summary["knn"].get("ivf_nprobe"), "ivf_nlist": summary["knn"].get("ivf_nlist"),
        "recall_at_k": summary["knn"].get("recall_at_k"),
        "stage_seconds": summary["stage_seconds"], "wall_seconds": summary["wall_seconds"],
        "peak_rss_mib": peak_kb / 1024,
        "budget_mib": (3 * feature_bytes + graph_bytes) / 2**20,
        "f1": ev["accounts"]["f1"], "dense_fp_rate": ev["dense_false_positive_rate"],
        "ari": ev["clusters"]["ari"],
    })
cpu = "unknown"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip(); break
except OSError:
    pass
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
meta = {"date": datetime.date.today().isoformat(), "machine": f"{os.cpu_count()} cores, {cpu}",
        "commit": commit, "command": "bash bench/cpu-sweep.sh " + " ".join(sizes)}
json.dump({"meta": meta, "runs": rows}, open(f"{results}/cpu-sweep.json", "w"), indent=2)
stages = ["prepare", "knn", "recall", "groups", "write"]
with open(f"{results}/cpu-sweep.md", "w") as f:
    f.write("# CPU sweep benchmark\n\n")
    f.write(f"- date: {meta['date']}\n- machine: {meta['machine']}\n- commit: {meta['commit']}\n")
    f.write(f"- command: `{meta['command']}`\n- data: `unfriend synth --dims 64 --seed 1`, default configuration, `--backend cpu`\n\n")
    f.write("| rows | kNN | recall@k | " + " | ".join(f"{s} s" for s in stages) +
            " | total s | peak RSS MiB | 3x features + graph MiB | F1 | dense FP | ARI |\n")
    f.write("|" + "---|" * (len(stages) + 9) + "\n")
    for r in rows:
        mode = r["knn_mode"] + (f" (nlist {r['ivf_nlist']}, nprobe {r['ivf_nprobe']})" if r["ivf_nprobe"] else "")
        rec = f"{r['recall_at_k']:.3f}" if r["recall_at_k"] is not None else "exact"
        st = " | ".join(f"{r['stage_seconds'].get(s, 0):.2f}" for s in stages)
        f.write(f"| {r['rows']} | {mode} | {rec} | {st} | {r['wall_seconds']:.1f} | {r['peak_rss_mib']:.0f} | "
                f"{r['budget_mib']:.0f} | {r['f1']:.4f} | {r['dense_fp_rate']:.4f} | {r['ari']:.4f} |\n")
print(open(f"{results}/cpu-sweep.md").read())
PY
