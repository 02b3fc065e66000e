"""One peer run in its own process, so that /usr/bin/time, timeout and the memory limit measure
and cap exactly that run (bench/peers/compare.py starts it).

  python peer.py run METHOD DATA.h5 OUTDIR [--grid EPS,EPS,...] [--cache-dir DIR]
      heuristic setting (no --grid) or the grid; writes OUTDIR/<setting>.h5 for each setting and
      OUTDIR/meta.json (settings, parameters, per-setting seconds, recall, thread pools). With
      --cache-dir, HDBSCAN's heuristic run leaves its tree there and the grid run reuses it.
  python peer.py prepare DATA.h5 OUT.json
      the exact k-distance of every account (faiss, flat inner product) -> its knee and the
      eps grid (quantiles): the grid values shared by DBSCAN and the faiss pipeline.

Exit status: 0 done, 3 out of memory (MemoryError, or an allocation failure inside a native
library), 1 anything else.
"""

import argparse
import json
import os
import re
import sys
import time
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import MIN_PTS, grid_from_kdistance, kneedle, load_features, threadpools, write_result  # noqa: E402

EXIT_MEMORY = 3
_MEMORY_PATTERN = re.compile(r"bad_alloc|Cannot allocate memory|out of memory|Unable to allocate",
                             re.IGNORECASE)


def safe_name(name):
    return re.sub(r"[^A-Za-z0-9_.=+-]", "_", name)


def run(args):
    import methods

    heuristic, grid = methods.METHODS[args.method]
    t0 = time.perf_counter()
    ids, X = load_features(args.data)
    load_seconds = time.perf_counter() - t0
    if args.grid:
        values = [float(v) for v in args.grid.split(",") if v]
        settings = grid(X, values, args.cache_dir or None)
    else:
        settings = heuristic(X, args.cache_dir or None)
    os.makedirs(args.outdir, exist_ok=True)
    meta = {
        "method": args.method,
        "mode": "grid" if args.grid else "heuristic",
        "data": args.data,
        "rows": int(X.shape[0]),
        "dims": int(X.shape[1]),
        "load_seconds": load_seconds,
        "threadpools": threadpools(),
        "settings": [],
    }
    for s in settings:
        path = os.path.join(args.outdir, safe_name(s.name) + ".h5")
        write_result(path, ids, s.cluster, s.score,
                     {"method": args.method, "params": s.params, "seconds": s.seconds})
        meta["settings"].append({
            "name": s.name,
            "params": s.params,
            "result": path,
            "seconds": s.seconds,
            "clusters": int(s.cluster.max() + 1) if len(s.cluster) else 0,
            "flagged": int((s.cluster >= 0).sum()),
            **s.extra,
        })
    meta["total_seconds"] = time.perf_counter() - t0
    with open(os.path.join(args.outdir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)


def prepare(args):
    import methods

    _, X = load_features(args.data)
    sims, _, _ = methods.faiss_knn(X, exact=True)
    kdist = 1.0 - sims[:, MIN_PTS - 2]
    out = {"data": args.data, "rows": int(X.shape[0]), "knee_eps": kneedle(kdist),
           "eps_grid": grid_from_kdistance(kdist)}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("method", choices=["dbscan", "sklearn_hdbscan", "hdbscan", "faiss_exact",
                                      "faiss_ivf"])
    r.add_argument("data")
    r.add_argument("outdir")
    r.add_argument("--grid", default="", help="comma-separated eps values: run the grid")
    r.add_argument("--cache-dir", default="",
                   help="folder shared by the heuristic and the grid run of one data set")
    p = sub.add_parser("prepare")
    p.add_argument("data")
    p.add_argument("out")
    args = parser.parse_args()
    np.seterr(all="ignore")
    try:
        run(args) if args.command == "run" else prepare(args)
    except MemoryError:
        print("peer.py: out of memory (MemoryError)", file=sys.stderr)
        return EXIT_MEMORY
    except Exception as exc:  # a native allocation failure surfaces as RuntimeError
        traceback.print_exc()
        return EXIT_MEMORY if _MEMORY_PATTERN.search(str(exc)) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
