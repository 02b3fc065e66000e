"""Runs unfriend and every peer method on every data set under the same caps, scores each result
with `unfriend evaluate`, and writes bench/results/peers.json (then report.py renders peers.md and
the plots). Started by bench/peers/run.sh, which prepares the virtual environment, the build and
the system tools; run from the repository root.

Every run is its own process wrapped as
    /usr/bin/time -v timeout -k 10 CAP prlimit --as=MEM -- COMMAND
so its wall time and peak resident memory come from the operating system, a run past the time cap
is stopped (status "over time cap") and one past the address-space cap fails its allocation
(status "over memory cap"). A method over a cap at some N is not run at larger N; with projection
on (the default) neither is one whose time, extrapolated from its run at the next smaller N, is
over the time cap (status "not run (projected ...)"), so that the full comparison fits its budget.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import GRID_QUANTILES, KNN_K, MIN_GROUP, MIN_PTS  # noqa: E402

METHODS = ["unfriend", "dbscan", "sklearn_hdbscan", "hdbscan", "faiss_exact", "faiss_ivf"]
LABELS = {
    "unfriend": "unfriend sweep (defaults, --backend cpu)",
    "dbscan": "scikit-learn DBSCAN (cosine, brute)",
    "sklearn_hdbscan": "scikit-learn HDBSCAN",
    "hdbscan": "hdbscan package",
    "faiss_exact": "faiss exact kNN + threshold + components",
    "faiss_ivf": "faiss IVF kNN + threshold + components",
}
# Growth of run time with N used for projection until a method has two measured sizes: brute
# force and Prim's minimum spanning tree on the data matrix are quadratic; IVF search with
# nlist ~ sqrt(N) lists costs about N^1.5 (unfriend switches to IVF above 100K rows).
NOMINAL_SLOPE = {"unfriend": 1.5, "dbscan": 2.0, "sklearn_hdbscan": 2.0, "hdbscan": 2.0,
                 "faiss_exact": 2.0, "faiss_ivf": 1.5}
PACKAGES = ["numpy", "scipy", "h5py", "scikit-learn", "hdbscan", "faiss-cpu", "matplotlib",
            "threadpoolctl", "joblib"]
EXIT_MEMORY = 3


def log(message):
    print(f"[peers {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- running one capped process -----------------------------------------------------------------


def parse_gnu_time(path):
    text = open(path).read() if os.path.exists(path) else ""
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    seconds = None
    if wall:
        seconds = 0.0
        for part in wall.group(1).split(":"):
            seconds = seconds * 60 + float(part)
    return seconds, (int(rss.group(1)) / 1024.0 if rss else None)


def capped_run(cmd, tag, logdir, caps):
    """Runs cmd under the caps; returns {status, wall_s, peak_rss_mib, rc, error}."""
    time_file = os.path.join(logdir, f"{tag}.time.txt")
    err_file = os.path.join(logdir, f"{tag}.stderr.txt")
    out_file = os.path.join(logdir, f"{tag}.stdout.txt")
    mem_bytes = int(caps["mem_gib"] * 2**30)
    wrapped = ["/usr/bin/time", "-v", "-o", time_file, "timeout", "-k", "10",
               str(caps["time_s"]), "prlimit", f"--as={mem_bytes}", "--"] + cmd
    started = time.monotonic()
    with open(out_file, "w") as out, open(err_file, "w") as err:
        rc = subprocess.run(wrapped, stdout=out, stderr=err).returncode
    elapsed = time.monotonic() - started
    wall, rss = parse_gnu_time(time_file)
    wall = wall if wall is not None else elapsed
    stderr = open(err_file, errors="replace").read()
    memory_text = re.search(r"bad_alloc|Cannot allocate memory|out of memory|Unable to allocate|"
                            r"MemoryError", stderr, re.IGNORECASE)
    if rc == 0:
        status = "ok"
    elif rc in (124, 137) or wall >= caps["time_s"]:
        status = "over time cap"
    elif rc == EXIT_MEMORY or memory_text or (rss and rss >= 0.97 * caps["mem_gib"] * 1024):
        status = "over memory cap"
    else:
        status = "failed"
    error = ""
    if status != "ok":
        lines = [l for l in stderr.splitlines() if l.strip() and not l.startswith("\t")]
        error = lines[-1][:300] if lines else f"exit status {rc}"
    return {"status": status, "wall_s": wall, "peak_rss_mib": rss, "rc": rc, "error": error}


def evaluate(bin_path, result, truth, json_path):
    subprocess.run([bin_path, "evaluate", result, "--truth", truth, "--json", json_path],
                   check=True, stdout=subprocess.DEVNULL)
    ev = json.load(open(json_path))
    acc = ev["accounts"]
    return {"f1": acc["f1"], "precision": acc["precision"], "recall": acc["recall"],
            "flagged": acc["flagged"], "ari": ev["clusters"]["ari"],
            "dense_fp_rate": ev["dense_false_positive_rate"],
            "predicted_clusters": ev["clusters"]["predicted_clusters"],
            "farms_detected": ev["clusters"]["farms_detected"],
            "truth_farms": ev["clusters"]["truth_farms"]}


# --- data sets ----------------------------------------------------------------------------------


def make_datasets(args):
    datadir = os.path.join(args.work, "data")
    os.makedirs(datadir, exist_ok=True)
    sets = []
    cresci = os.path.join(datadir, "cresci-2017.h5")
    if os.path.isdir(args.cresci_dir):
        if not os.path.exists(cresci):
            log(f"importing Cresci 2017 from {args.cresci_dir}")
            subprocess.run([args.bin, "-q", "import", "--recipe", "configs/cresci-2017.toml",
                            "--data-dir", args.cresci_dir, "-o", cresci], check=True)
        sets.append({"name": "cresci-2017", "path": cresci, "synth": False,
                     "command": f"unfriend import --recipe configs/cresci-2017.toml "
                                f"--data-dir {args.cresci_dir}"})
    else:
        log(f"{args.cresci_dir} not found: Cresci 2017 left out")
    for n in args.sizes:
        path = os.path.join(datadir, f"synth-{n}-seed1.h5")
        if not os.path.exists(path):
            log(f"generating {n} synthetic accounts")
            subprocess.run([args.bin, "-q", "synth", "--rows", str(n), "--dims", "64", "--seed",
                            "1", "-o", path], check=True)
        sets.append({"name": f"synth-{n}", "path": path, "synth": True,
                     "command": f"unfriend synth --rows {n} --dims 64 --seed 1"})
    for s in sets:
        with h5py.File(s["path"], "r") as f:
            s["rows"], s["dims"] = (int(v) for v in f["/accounts/features"].shape)
            farm = f["/truth/farm"][...]
            dup = f["/truth/dup_group"][...] if "/truth/dup_group" in f else np.full(len(farm), -1)
            s["positives"] = int(((farm >= 0) | (dup >= 0)).sum())
    return sets


# --- one method on one data set -----------------------------------------------------------------


def run_unfriend(args, ds, rundir, caps):
    out = os.path.join(rundir, "result.h5")
    for stale in (out, os.path.join(rundir, "result.summary.json")):
        if os.path.exists(stale):
            os.remove(stale)
    cmd = [args.bin, "-q", "sweep", ds["path"], "-o", out, "--backend", "cpu"]
    rec = capped_run(cmd, "run", rundir, caps)
    rec.update({"kind": "defaults", "params": {"config": "configs/default.toml defaults"}})
    if rec["status"] == "ok":
        summary = json.load(open(os.path.join(rundir, "result.summary.json")))
        knn = summary["knn"]
        rec["recall_at_k"] = knn.get("recall_at_k", 1.0 if knn["mode"] == "exact" else None)
        rec["params"].update({"knn_mode": knn["mode"], "k": knn["k"],
                              "eps_similarity": summary["thresholds"].get("eps_similarity"),
                              "eps_rule": summary["thresholds"].get("eps_rule")})
        if knn["mode"] == "ivf":
            rec["params"].update({"ivf_nlist": knn.get("ivf_nlist"),
                                  "ivf_nprobe": knn.get("ivf_nprobe")})
        rec["stage_seconds"] = summary["stage_seconds"]
        rec.update(evaluate(args.bin, out, ds["path"], os.path.join(rundir, "eval.json")))
    return rec


# Methods whose grid reuses the heuristic run's work (HDBSCAN's single-linkage tree).
SHARES_WORK = ("sklearn_hdbscan", "hdbscan")


def run_peer(args, method, ds, rundir, caps, grid_values=None, cache_dir=None):
    cmd = [args.python, os.path.join(HERE, "peer.py"), "run", method, ds["path"], rundir]
    if grid_values is not None:
        cmd += ["--grid", ",".join(repr(v) for v in grid_values)]
    if cache_dir:
        cmd += ["--cache-dir", cache_dir]
    rec = capped_run(cmd, "run", rundir, caps)
    rec["kind"] = "grid-best" if grid_values is not None else "heuristic"
    if rec["status"] != "ok":
        return rec
    meta = json.load(open(os.path.join(rundir, "meta.json")))
    settings = []
    for i, s in enumerate(meta["settings"]):
        ev = evaluate(args.bin, s["result"], ds["path"], os.path.join(rundir, f"eval-{i}.json"))
        settings.append({"name": s["name"], "params": s["params"], "seconds": s["seconds"],
                         "recall_at_k": s.get("recall_at_k"), **ev})
    best = max(settings, key=lambda s: -1.0 if s["f1"] is None else s["f1"])
    rec.update({k: best[k] for k in best if k not in ("name", "seconds")})
    rec["setting"] = best["name"]
    rec["threadpools"] = meta["threadpools"]
    if grid_values is not None:
        rec["grid"] = [{k: s[k] for k in ("name", "f1", "ari", "flagged", "seconds")}
                       for s in settings]
    return rec


def run_grid(args, method, ds, rundir, heuristic, caps, grid_values, base):
    """The grid after the heuristic run. A heuristic over the time cap means the grid would be
    too (its first setting costs as much); one over the memory cap is still worth the grid, whose
    settings are tighter than the knee."""
    if heuristic["status"] == "over time cap" or heuristic["status"].startswith("not run"):
        log(f"{ds['name']} {method}: grid not run (heuristic {heuristic['status']})")
        return {**base, "kind": "grid-best",
                "status": f"not run (heuristic run {heuristic['status']})"}
    griddir = rundir + "-grid"
    os.makedirs(griddir, exist_ok=True)
    log(f"{ds['name']} {method}: grid")
    cache = os.path.join(rundir, "cache") if method in SHARES_WORK else None
    rec = {**base, **run_peer(args, method, ds, griddir, caps, grid_values, cache)}
    log(f"  {rec['status']}, {rec['wall_s']:.1f} s, best F1 {rec.get('f1')} "
        f"({rec.get('setting')})")
    return rec


def fitted_slope(points):
    """Least-squares slope of log(time) against log(N) (numpy.polyfit, degree 1)."""
    pts = [(n, t) for n, t in points if t and t > 0]
    if len(pts) < 2:
        return None
    x = np.log([p[0] for p in pts])
    y = np.log([p[1] for p in pts])
    return float(np.polyfit(x, y, 1)[0])


def skip_reason(method, n, history, caps, project):
    """Why method is not run at synthetic size n, or None. history: [(n, record)] at smaller N."""
    over = [(m, r) for m, r in history if r["status"].startswith("over")]
    if over:
        m, r = over[-1]
        return f"not run (over {r['status'][5:]} at N={m:,})", None
    ok = [(m, r["wall_s"]) for m, r in history if r["status"] == "ok"]
    # unfriend is the subject of the comparison: always measured (its caps still apply).
    if not project or not ok or method == "unfriend":
        return None, None
    slope = fitted_slope(ok) if len(ok) >= 2 else None
    slope = max(slope, 1.0) if slope is not None else NOMINAL_SLOPE[method]
    n_prev, t_prev = ok[-1]
    projected = t_prev * (n / n_prev) ** slope
    if projected > caps["time_s"]:
        return (f"not run (projected {projected:,.0f} s from {t_prev:,.0f} s at N={n_prev:,}, "
                f"slope {slope:.2f}: over the {caps['time_s']} s cap)"), projected
    return None, projected


# --- the machine and the software ---------------------------------------------------------------


def machine_description():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem_gib = int(line.split()[1]) / 2**20
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": mem_gib,
            "kernel": platform.release(), "python": platform.python_version(),
            "load_average_at_start": load, "niceness": os.nice(0)}


def versions(bin_path):
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for p in PACKAGES:
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            out[p] = None
    out["unfriend"] = subprocess.run([bin_path, "--version"], capture_output=True,
                                     text=True).stdout.strip().replace("unfriend ", "")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    out["unfriend_commit"] = commit + (" + uncommitted changes" if dirty else "")
    return out


# --- main ---------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description="unfriend against the Python tools (peers.md)")
    ap.add_argument("--bin", default="build/unfriend")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--work", default="build/peers")
    ap.add_argument("--results", default="bench/results")
    ap.add_argument("--cresci-dir", default="../shared/data/cresci-2017-social-spambots")
    ap.add_argument("--sizes", type=int, nargs="+", default=[50000, 200000, 1000000])
    ap.add_argument("--grid-sizes", type=int, nargs="*", default=[50000],
                    help="synthetic sizes that also get the grid (Cresci always does)")
    ap.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    ap.add_argument("--time-cap", type=int, default=900, help="seconds per run")
    ap.add_argument("--mem-cap-gib", type=float, default=12.0, help="address space per run")
    ap.add_argument("--no-projection", action="store_true",
                    help="run every size unless a smaller one went over a cap")
    ap.add_argument("--command", default="bash bench/peers/run.sh",
                    help="the command recorded in the results")
    args = ap.parse_args()
    caps = {"time_s": args.time_cap, "mem_gib": args.mem_cap_gib}
    started = time.monotonic()
    meta = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": args.command, "machine": machine_description(),
            "versions": versions(args.bin), "caps": caps,
            "projection": not args.no_projection, "nominal_slopes": NOMINAL_SLOPE,
            "grid_quantiles": list(GRID_QUANTILES), "min_pts": MIN_PTS, "k": KNN_K,
            "min_group": MIN_GROUP, "grid_sizes": args.grid_sizes}
    sets = make_datasets(args)
    runs = []
    history = {m: [] for m in args.methods}  # synthetic sizes, ascending
    for ds in sorted(sets, key=lambda s: (s["synth"], s["rows"])):
        grid_here = (not ds["synth"]) or ds["rows"] in args.grid_sizes
        grid_values = None
        if grid_here:
            prep = os.path.join(args.work, "runs", ds["name"], "prepare")
            os.makedirs(prep, exist_ok=True)
            out = os.path.join(prep, "grid.json")
            rec = capped_run([args.python, os.path.join(HERE, "peer.py"), "prepare", ds["path"],
                              out], "prepare", prep, caps)
            if rec["status"] == "ok":
                ds["grid"] = json.load(open(out))
                grid_values = ds["grid"]["eps_grid"]
            else:
                log(f"{ds['name']}: eps grid preparation {rec['status']}: {rec['error']}")
        for method in args.methods:
            rundir = os.path.join(args.work, "runs", ds["name"], method)
            os.makedirs(rundir, exist_ok=True)
            base = {"dataset": ds["name"], "rows": ds["rows"], "method": method}
            reason, projected = (skip_reason(method, ds["rows"], history[method], caps,
                                             not args.no_projection)
                                 if ds["synth"] else (None, None))
            if reason:
                rec = {**base, "kind": "defaults" if method == "unfriend" else "heuristic",
                       "status": reason, "projected_s": projected}
                log(f"{ds['name']} {method}: {reason}")
            else:
                log(f"{ds['name']} {method}: running")
                if method == "unfriend":
                    rec = {**base, **run_unfriend(args, ds, rundir, caps)}
                else:
                    cache = None
                    if method in SHARES_WORK and grid_values is not None:
                        # A fresh folder: a cache left by an earlier invocation would make this
                        # run look faster than it is.
                        cache = os.path.join(rundir, "cache")
                        shutil.rmtree(cache, ignore_errors=True)
                        os.makedirs(cache)
                    rec = {**base, **run_peer(args, method, ds, rundir, caps, cache_dir=cache)}
                rec["projected_s"] = projected
                log(f"  {rec['status']}, {rec['wall_s']:.1f} s, "
                    f"{(rec.get('peak_rss_mib') or 0):.0f} MiB, F1 {rec.get('f1')}")
            runs.append(rec)
            if ds["synth"]:
                history[method].append((ds["rows"], rec))
            if method != "unfriend" and grid_values is not None:
                runs.append(run_grid(args, method, ds, rundir, rec, caps, grid_values, base))
    slopes = {}
    for method in args.methods:
        pts = [(r["rows"], r["wall_s"]) for r in runs
               if r["method"] == method and r["dataset"].startswith("synth-")
               and r["kind"] in ("defaults", "heuristic") and r["status"] == "ok"]
        slopes[method] = {"slope": fitted_slope(pts), "points": pts}
    meta["total_seconds"] = time.monotonic() - started
    meta["machine"]["load_average_at_end"] = os.getloadavg()
    os.makedirs(args.results, exist_ok=True)
    out = {"meta": meta, "datasets": sets, "runs": runs, "time_slopes": slopes}
    path = os.path.join(args.results, "peers.json")
    with open(path + ".tmp", "w") as f:
        json.dump(out, f, indent=2, default=lambda o: o.item() if hasattr(o, "item") else str(o))
    os.replace(path + ".tmp", path)
    log(f"wrote {path} ({meta['total_seconds'] / 60:.1f} min)")


if __name__ == "__main__":
    main()
