"""Renders bench/results/peers.json (from compare.py) as bench/results/peers.md and the PNG plots
peers-time.png, peers-memory.png, peers-quality.png and peers-recall.png.

  python bench/peers/report.py [--results bench/results]
"""

import argparse
import json
import os

import numpy as np

from compare import LABELS, METHODS, SHARES_WORK, fitted_slope

SHORT = {
    "unfriend": "unfriend",
    "dbscan": "sklearn DBSCAN",
    "sklearn_hdbscan": "sklearn HDBSCAN",
    "hdbscan": "hdbscan pkg",
    "faiss_exact": "faiss exact + CC",
    "faiss_ivf": "faiss IVF + CC",
}
COLORS = {
    "unfriend": "#d62728",
    "dbscan": "#1f77b4",
    "sklearn_hdbscan": "#2ca02c",
    "hdbscan": "#9467bd",
    "faiss_exact": "#ff7f0e",
    "faiss_ivf": "#8c564b",
}


def fmt(value, digits=3):
    if value is None:
        return "n/a"
    if isinstance(value, float) and np.isnan(value):
        return "n/a"
    return f"{value:.{digits}f}"


def fmt_s(value):
    if value is None:
        return ""
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def params_text(run):
    p = run.get("params") or {}
    if run["method"] == "unfriend":
        parts = [f"kNN {p.get('knn_mode')}"]
        if p.get("ivf_nprobe"):
            parts.append(f"nlist {p['ivf_nlist']}, nprobe {p['ivf_nprobe']}")
        if p.get("eps_similarity") is not None:
            parts.append(f"eps sim {p['eps_similarity']:.3f} ({p.get('eps_rule')})")
        return "; ".join(parts)
    if "eps_cosine" in p:
        return f"eps {p['eps_cosine']:.4g}"
    if "similarity_threshold" in p:
        text = f"sim >= {p['similarity_threshold']:.4g}"
        if p.get("ivf_nlist"):
            text += f"; nlist {p['ivf_nlist']}, nprobe {p['ivf_nprobe']}"
        return text
    if "min_cluster_size" in p:
        return f"min_cluster_size {p['min_cluster_size']}"
    return ""


def kind_text(run):
    return {"defaults": "defaults", "heuristic": "heuristic (no labels)",
            "grid-best": "grid-best (ORACLE: picked by F1 on the truth)"}[run["kind"]]


def time_cell(run):
    if run["status"] != "ok":
        return run["status"]
    text = fmt_s(run["wall_s"])
    if run["kind"] == "grid-best":
        text += f" (whole grid, {len(run.get('grid', []))} settings"
        # HDBSCAN grids read their settings off the heuristic run's tree: no fit of their own.
        text += ", tree of the heuristic run)" if run["method"] in SHARES_WORK else ")"
    return text


def slope_of(data, method):
    s = data["time_slopes"].get(method, {})
    return s.get("slope"), s.get("points", [])


def headline(data, lines):
    """unfriend against each peer at the 200K synthetic set (or the largest one run)."""
    runs = data["runs"]
    synth = sorted({r["rows"] for r in runs if r["dataset"].startswith("synth-")})
    if not synth:
        return
    target = 200000 if 200000 in synth else synth[-1]
    name = f"synth-{target}"
    u = next((r for r in runs if r["dataset"] == name and r["method"] == "unfriend"), None)
    if not u or u["status"] != "ok":
        return
    lines.append(f"## Headline: {target:,} synthetic accounts\n")
    lines.append(f"unfriend with its defaults: **{fmt_s(u['wall_s'])} s**, "
                 f"{u['peak_rss_mib']:,.0f} MiB peak, **F1 {fmt(u['f1'])}**, "
                 f"dense-genuine false-positive rate {fmt(u['dense_fp_rate'])}.\n")
    lines.append("| peer (heuristic parameters) | status | time s | unfriend speedup | F1 | "
                 "unfriend F1 - peer F1 |")
    lines.append("|---|---|---:|---:|---:|---:|")
    for method in METHODS[1:]:
        r = next((x for x in runs if x["dataset"] == name and x["method"] == method
                  and x["kind"] == "heuristic"), None)
        if r is None:
            continue
        if r["status"] == "ok":
            speed = f"{r['wall_s'] / u['wall_s']:.1f}x"
            df = (fmt(u["f1"] - r["f1"]) if r["f1"] is not None and u["f1"] is not None
                  else "n/a")
            lines.append(f"| {LABELS[method]} | ok | {fmt_s(r['wall_s'])} | {speed} | "
                         f"{fmt(r['f1'])} | {df} |")
        else:
            proj = r.get("projected_s")
            speed = f"~{proj / u['wall_s']:.0f}x (projected)" if proj else \
                f"> {data['meta']['caps']['time_s'] / u['wall_s']:.0f}x (cap)" \
                if "time" in r["status"] else "n/a"
            lines.append(f"| {LABELS[method]} | {r['status']} | | {speed} | | |")
    lines.append("")


def dataset_table(data, ds, lines):
    runs = [r for r in data["runs"] if r["dataset"] == ds["name"]]
    if not runs:
        return
    pct = 100.0 * ds["positives"] / ds["rows"]
    lines.append(f"### {ds['name']}: {ds['rows']:,} accounts x {ds['dims']} features, "
                 f"{ds['positives']:,} planted/labelled fakes ({pct:.1f}%)\n")
    lines.append(f"Data: `{ds['command']}`.")
    if ds.get("grid"):
        g = ds["grid"]
        lines[-1] += (f" Knee of the exact k-distance: eps {g['knee_eps']:.4g}; eps grid "
                     f"(k-distance quantiles {', '.join(str(q) for q in data['meta']['grid_quantiles'])}): "
                     f"{', '.join(f'{v:.4g}' for v in g['eps_grid'])}.")
    lines.append("")
    lines.append("| method | parameters chosen by | status / time s | peak RSS MiB | F1 | "
                 "precision | recall | ARI | dense-genuine FP | kNN recall@k | parameters |")
    lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for method in METHODS:
        for r in runs:
            if r["method"] != method:
                continue
            ok = r["status"] == "ok"
            rss = f"{r['peak_rss_mib']:,.0f}" if r.get("peak_rss_mib") else ""
            lines.append(
                f"| {LABELS[method]} | {kind_text(r)} | {time_cell(r)} | {rss} | "
                f"{fmt(r.get('f1')) if ok else ''} | {fmt(r.get('precision')) if ok else ''} | "
                f"{fmt(r.get('recall')) if ok else ''} | {fmt(r.get('ari')) if ok else ''} | "
                f"{fmt(r.get('dense_fp_rate')) if ok else ''} | "
                f"{fmt(r.get('recall_at_k')) if ok and r.get('recall_at_k') is not None else ''} | "
                f"{params_text(r) if ok else (r.get('error') or '')[:120]} |")
    lines.append("")
    grids = [r for r in runs if r["kind"] == "grid-best" and r["status"] == "ok"]
    if grids:
        lines.append("Every grid setting (F1 / flagged accounts):\n")
        for r in grids:
            cells = ", ".join(f"{g['name']}: {fmt(g['f1'])} / {g['flagged']:,}" for g in r["grid"])
            lines.append(f"- {SHORT[r['method']]}: {cells}")
        lines.append("")


def scaling_table(data, lines):
    sizes = sorted({r["rows"] for r in data["runs"] if r["dataset"].startswith("synth-")})
    if not sizes:
        return
    lines.append("## Scaling: end-to-end wall time (s) by N, heuristic / default parameters\n")
    lines.append("| method | " + " | ".join(f"N={n:,}" for n in sizes) + " | fitted slope "
                 "(log time vs log N) |")
    lines.append("|---|" + "---:|" * len(sizes) + "---:|")
    for method in METHODS:
        if not any(x["method"] == method for x in data["runs"]):
            continue
        cells = []
        for n in sizes:
            r = next((x for x in data["runs"] if x["method"] == method and x["rows"] == n
                      and x["dataset"].startswith("synth-") and x["kind"] != "grid-best"), None)
            if r is None:
                cells.append("")
            elif r["status"] == "ok":
                cells.append(fmt_s(r["wall_s"]))
            elif r.get("projected_s") and r["status"].startswith("not run (projected"):
                cells.append(f"not run (projected {r['projected_s']:,.0f})")
            else:
                cells.append(r["status"])
        slope, pts = slope_of(data, method)
        cells.append(f"{slope:.2f} ({len(pts)} sizes)" if slope is not None else "n/a")
        lines.append(f"| {LABELS[method]} | " + " | ".join(cells) + " |")
    lines.append("")


def render_markdown(data, path):
    meta = data["meta"]
    m = meta["machine"]
    caps = meta["caps"]
    v = meta["versions"]
    lines = ["# unfriend against the tools a user would pick instead\n"]
    lines.append("Produced by `bench/peers/run.sh` (see bench/README.md); every number below comes "
                 "from bench/results/peers.json of the same run.\n")
    lines.append(f"- date: {meta['date']}")
    lines.append(f"- command: `{meta['command']}` (total {meta['total_seconds'] / 60:.1f} min)")
    ram = f"{m['ram_gib']:.1f} GiB RAM" if m.get("ram_gib") else "RAM unknown"
    load = m.get("load_average_at_start")
    load_text = f"; load average at start {load[0]:.2f}" if load else ""
    if m.get("load_average_at_end"):
        load_text += f", at end {m['load_average_at_end'][0]:.2f} (other work on the machine)"
    if m.get("niceness"):
        load_text += f"; run at niceness {m['niceness']}"
    lines.append(f"- machine: {m['nproc']} cores (nproc), {m['cpu']}, {ram}, Linux "
                 f"{m['kernel']}, Python {m['python']}{load_text}")
    lines.append(f"- caps per run: {caps['time_s']} s wall time (`timeout`), "
                 f"{caps['mem_gib']:g} GiB address space (`prlimit --as`); wall time and peak "
                 f"RSS from GNU `/usr/bin/time -v`")
    lines.append(f"- unfriend {v.get('unfriend')} (commit {v.get('unfriend_commit')}); "
                 + ", ".join(f"{p} {v.get(p)}" for p in
                             ["numpy", "scipy", "h5py", "scikit-learn", "hdbscan", "faiss-cpu",
                              "threadpoolctl", "joblib", "matplotlib"]))
    us, upts = slope_of(data, "unfriend")
    if us is not None:
        span = f"{upts[0][0]:,} to {upts[-1][0]:,}"
        lines.append(f"- **unfriend end-to-end time grows as N^{us:.2f}** (numpy.polyfit of log "
                     f"time against log N, {span} accounts)")
    lines.append("")
    headline(data, lines)
    lines.append("## How each method was run\n")
    lines.append(
        f"Every method reads the same HDF5 input and gets the same preprocessing as unfriend "
        f"(per-feature z-score, then rows scaled to unit length: cosine geometry), uses all "
        f"{m['nproc']} cores, and is scored by the same code: `unfriend evaluate RESULT.h5 --truth "
        f"DATA.h5 --json`. Flagged = member of any cluster (label >= 0); the peers have no "
        f"near-duplicate notion (/labels/dup_group = -1), unfriend flags cluster or duplicate "
        f"group members. Neighbourhood size for everyone: min_samples = unfriend's min_pts = "
        f"{meta['min_pts']}; smallest group {meta['min_group']}; kNN graphs k = {meta['k']}.\n")
    lines.append(
        "- **unfriend**: `unfriend sweep DATA.h5 -o OUT.h5 --backend cpu`, default configuration, "
        "no tuning (thresholds derived from the data on every run).\n"
        "- **scikit-learn DBSCAN**: `DBSCAN(eps, min_samples=8, metric='cosine', "
        "algorithm='brute', n_jobs=-1)` (scikit-learn's trees do not support cosine). Heuristic "
        "eps: kneedle knee of the sorted 8-th neighbour distance (`NearestNeighbors`, brute, "
        "cosine; counted in the run's time). Grid: one radius-neighbour graph at the largest eps, "
        "then `DBSCAN(metric='precomputed')` per eps (scikit-learn's documented way; same "
        "neighbourhoods as a direct fit).\n"
        "- **scikit-learn HDBSCAN** and **hdbscan package**: Euclidean on the unit rows (a "
        "monotone function of cosine distance, so the same hierarchy; the memory-linear tree "
        "algorithms take only Euclidean-type metrics), min_samples=8. Heuristic: "
        "min_cluster_size=9 (unfriend's smallest cluster). Grid: min_cluster_size in {10, 20, 50} "
        "from one single-linkage tree (it does not depend on min_cluster_size: scikit-learn's "
        "`tree_to_labels` on the fitted tree; hdbscan's own `memory=` cache).\n"
        "- **faiss + threshold + connected components** (the data scientist's pipeline): "
        "`IndexFlatIP` (exact) or `IndexIVFFlat` (nlist = 4 sqrt(N), k-means on 64 x nlist rows, "
        "nprobe = 16) on the unit rows, k = 32, edges with similarity >= threshold, "
        "`scipy.sparse.csgraph.connected_components`, components of >= 9 accounts flagged. "
        "Heuristic threshold: 1 - the knee eps of the graph's own 8-th neighbour distance. Grid: "
        "1 - each eps of the DBSCAN grid. IVF recall@k measured against exact search on 1,000 "
        "sampled rows (unfriend's from its summary, `knn.recall_at_k`; exact = 1).\n")
    lines.append(
        "**Grid-best rows use the truth** to pick the best of 5 eps / threshold values "
        "(quantiles of the exact k-distance: placed without the truth) or of 3 min_cluster_size "
        "values: they are an oracle upper bound that no user has on unlabelled data, shown next "
        "to unfriend's untuned defaults. Their time is that of the whole grid process (for the two "
        "HDBSCANs that excludes the fit: the grid reads the heuristic run's tree). Grids run "
        f"on Cresci 2017 and on the synthetic sets of N in {meta['grid_sizes']}; larger sets get "
        "the heuristic run only.\n")
    nominal = ", ".join(f"{SHORT[k]} {v:g}" for k, v in meta["nominal_slopes"].items())
    proj = ("A method over a cap at some N is not run at larger N. "
            + ("Nor is one whose time, projected from its largest measured size with its fitted "
               f"slope (before two sizes exist, the nominal slope: {nominal}), exceeds the time "
               "cap: the projected time is given instead of spending the cap (unfriend itself is "
               "always run)."
               if meta["projection"] else ""))
    lines.append(proj + "\n")
    lines.append("## Results per data set\n")
    for ds in sorted(data["datasets"], key=lambda d: (d["name"].startswith("synth-"), d["rows"])):
        dataset_table(data, ds, lines)
    scaling_table(data, lines)
    lines.append("## Plots\n")
    for png, what in [("peers-time.png", "wall time against N (log-log) with fitted slopes"),
                      ("peers-memory.png", "peak resident memory against N"),
                      ("peers-quality.png", "F1, ARI and dense-genuine false-positive rate per "
                                            "data set (solid: heuristic/defaults; hatched: "
                                            "grid-best oracle)"),
                      ("peers-recall.png", "kNN recall@k of the approximate graphs")]:
        lines.append(f"![{what}]({png})\n")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def plot(data, results):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = data["runs"]
    caps = data["meta"]["caps"]
    synth_runs = [r for r in runs if r["dataset"].startswith("synth-") and r["kind"] != "grid-best"]

    # Wall time and memory against N.
    for key, ylabel, name, cap in [("wall_s", "wall time (s)", "peers-time.png", caps["time_s"]),
                                   ("peak_rss_mib", "peak RSS (MiB)", "peers-memory.png",
                                    caps["mem_gib"] * 1024)]:
        fig, ax = plt.subplots(figsize=(8, 5.5))
        for method in METHODS:
            pts = sorted((r["rows"], r[key]) for r in synth_runs
                         if r["method"] == method and r["status"] == "ok" and r.get(key))
            if not pts:
                continue
            x, y = zip(*pts)
            label = SHORT[method]
            if key == "wall_s":
                slope = fitted_slope(pts)
                if slope is not None:
                    label += f" (slope {slope:.2f})"
                    coef = np.polyfit(np.log(x), np.log(y), 1)
                    xs = np.geomspace(min(x), max(x), 20)
                    ax.plot(xs, np.exp(np.polyval(coef, np.log(xs))), ":",
                            color=COLORS[method], linewidth=1)
            ax.plot(x, y, "o-", color=COLORS[method], label=label)
            # Runs stopped by a cap, drawn at the cap.
            over = [r["rows"] for r in synth_runs
                    if r["method"] == method and r["status"].startswith("over")]
            if over:
                ax.plot(over, [cap] * len(over), "x", color=COLORS[method], markersize=10)
            # Sizes skipped on a projection: the projected time, hollow.
            projected = [(r["rows"], r["projected_s"]) for r in synth_runs
                         if r["method"] == method and r["status"].startswith("not run (projected")
                         and r.get("projected_s")]
            if key == "wall_s" and projected:
                px, py = zip(*projected)
                ax.plot(px, py, "o", markerfacecolor="none", color=COLORS[method], markersize=8)
        ax.axhline(cap, color="grey", linestyle="--", linewidth=1)
        # x in axes fraction, y in data: the label stays at the left edge whatever the scale.
        ax.text(0.01, cap, f"cap {cap:,.0f}", transform=ax.get_yaxis_transform(), va="bottom",
                color="grey", fontsize=8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("accounts N (synthetic, 64 features)")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{ylabel} vs N (x: stopped at the cap"
                     + ("; o: projected, not run)" if key == "wall_s" else ")"), fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(results, name), dpi=110)
        plt.close(fig)

    # Quality: grouped bars per data set.
    datasets = [d["name"] for d in sorted(data["datasets"],
                                          key=lambda d: (d["name"].startswith("synth-"), d["rows"]))]
    metrics = [("f1", "F1 (flagged accounts)"), ("ari", "ARI (clusters vs farms)"),
               ("dense_fp_rate", "dense-genuine false-positive rate")]
    fig, axes = plt.subplots(len(metrics), 1, figsize=(11, 11))
    bar_keys = [("unfriend", "defaults")] + [(m, k) for m in METHODS[1:]
                                             for k in ("heuristic", "grid-best")]
    width = 0.8 / len(bar_keys)
    for ax, (metric, title) in zip(axes, metrics):
        for i, (method, kind) in enumerate(bar_keys):
            xs, ys = [], []
            for j, ds in enumerate(datasets):
                r = next((x for x in runs if x["dataset"] == ds and x["method"] == method
                          and x["kind"] == kind and x["status"] == "ok"), None)
                if r is not None and r.get(metric) is not None:
                    xs.append(j + (i - len(bar_keys) / 2 + 0.5) * width)
                    ys.append(r[metric])
            if xs:
                ax.bar(xs, ys, width, color=COLORS[method],
                       hatch="//" if kind == "grid-best" else None,
                       edgecolor="white" if kind == "grid-best" else None,
                       label=f"{SHORT[method]}" + (" grid-best (oracle)" if kind == "grid-best"
                                                   else ""))
                # Values on the bars: a rate of 0 is a result, not a missing bar.
                for x, y in zip(xs, ys):
                    ax.text(x, y + 0.01, f"{y:.2f}", ha="center", va="bottom", rotation=90,
                            fontsize=6)
        ax.set_xticks(range(len(datasets)))
        ax.set_xticklabels(datasets)
        ax.set_title(title)
        ax.set_ylim(0, 1.15)
        ax.grid(True, axis="y", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, ncol=4, loc="upper center")
    fig.text(0.5, 0.005, "missing bar: not run, over a cap, or undefined (Cresci has no "
             "dense-genuine kind)", ha="center", fontsize=8)
    fig.tight_layout(rect=(0, 0.02, 1, 0.93))
    fig.savefig(os.path.join(results, "peers-quality.png"), dpi=110)
    plt.close(fig)

    # kNN recall@k of the approximate graphs.
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for method in ("unfriend", "faiss_ivf", "faiss_exact"):
        pts = sorted((r["rows"], r["recall_at_k"]) for r in synth_runs
                     if r["method"] == method and r["status"] == "ok"
                     and r.get("recall_at_k") is not None)
        if pts:
            x, y = zip(*pts)
            ax.plot(x, y, "o-", color=COLORS[method], label=SHORT[method])
    ax.set_xscale("log")
    ax.set_ylim(min(0.5, ax.get_ylim()[0]), 1.01)
    ax.set_xlabel("accounts N")
    ax.set_ylabel(f"recall@{data['meta']['k']} against exact search")
    ax.set_title("kNN graph recall (unfriend: exact up to 100K, tuned IVF above)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(results, "peers-recall.png"), dpi=110)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="bench/results")
    args = ap.parse_args()
    data = json.load(open(os.path.join(args.results, "peers.json")))
    render_markdown(data, os.path.join(args.results, "peers.md"))
    plot(data, args.results)
    print(f"wrote {args.results}/peers.md and peers-*.png")


if __name__ == "__main__":
    main()
