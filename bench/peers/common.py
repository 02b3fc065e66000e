"""What every peer method shares: reading an unfriend input, the same preprocessing unfriend
applies (per-feature z-score, then rows scaled to unit length for cosine), the k-distance "knee"
heuristic, and writing a result file that `unfriend evaluate` scores.

Every peer is scored by unfriend's own evaluator, so a result file has exactly the datasets it
reads: /accounts/id, /labels/cluster (-1 none), /labels/dup_group (-1: the peers have no notion
of near-duplicates) and /labels/score (a per-account strength, documented per method).
"""

import json
import os

import h5py
import numpy as np

# unfriend's defaults (configs/default.toml): clusters.min_pts and knn.k. The peers use the same
# neighbourhood size so that "dense" means the same thing for everyone.
MIN_PTS = 8
KNN_K = 32
# Smallest group a method may report: unfriend's clusters.min_size default (min_pts + 1).
MIN_GROUP = MIN_PTS + 1
SEED = 42


def load_features(path):
    """Returns (ids int64 [N], X float32 [N, D] C-contiguous): standardised per feature (population
    deviation; constant features become 0, as in unfriend) and scaled to unit L2 length."""
    with h5py.File(path, "r") as f:
        raw = f["/accounts/features"][...]
        n = raw.shape[0]
        ids = f["/accounts/id"][...].astype(np.int64) if "/accounts/id" in f else np.arange(n)
    # Statistics in float64, like unfriend's column_stats: float32 sums drift at 1M rows.
    x = raw.astype(np.float64, copy=False)
    mean = x.mean(axis=0)
    dev = x.std(axis=0)
    scale = np.where(dev > 0, 1.0 / np.where(dev > 0, dev, 1.0), 0.0)
    out = ((x - mean) * scale).astype(np.float32)
    del x, raw
    norms = np.linalg.norm(out, axis=1)
    nonzero = norms > 0
    out[nonzero] /= norms[nonzero, None]
    return ids, np.ascontiguousarray(out)


def write_result(path, ids, cluster, score, attrs=None):
    """Writes the datasets `unfriend evaluate` reads, atomically (temporary name, then rename), so
    that a run killed by a cap leaves no half-written result behind."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with h5py.File(tmp, "w") as f:
        f.create_dataset("/accounts/id", data=np.asarray(ids, dtype=np.int64))
        f.create_dataset("/labels/cluster", data=np.asarray(cluster, dtype=np.int64))
        f.create_dataset("/labels/dup_group", data=np.full(len(ids), -1, dtype=np.int64))
        f.create_dataset("/labels/score", data=np.asarray(score, dtype=np.float32))
        for key, value in (attrs or {}).items():
            f.attrs[key] = value if isinstance(value, (int, float, str)) else json.dumps(value)
    os.replace(tmp, path)


def relabel_small(labels, min_size):
    """Cluster labels with groups smaller than min_size turned into -1 and the rest numbered
    0..m-1 by first appearance (labels < 0 stay -1)."""
    labels = np.asarray(labels)
    out = np.full(labels.shape, -1, dtype=np.int64)
    valid = labels >= 0
    if not valid.any():
        return out
    uniq, inverse, counts = np.unique(labels[valid], return_inverse=True, return_counts=True)
    keep = counts >= min_size
    new_id = np.full(len(uniq), -1, dtype=np.int64)
    new_id[keep] = np.arange(int(keep.sum()))
    out[valid] = new_id[inverse]
    return out


def kneedle(values, max_points=20000):
    """The knee of the sorted k-distance curve (Satopaa et al. 2011, "Kneedle", for a convex
    increasing curve): normalise both axes to [0, 1] and take the point furthest below the
    diagonal. This is the usual way to pick DBSCAN's eps from the min_samples-distance plot.
    Long curves are subsampled evenly (the curve is monotone, so the knee does not move)."""
    y = np.sort(np.asarray(values, dtype=np.float64))
    y = y[np.isfinite(y)]
    if len(y) < 3 or y[-1] <= y[0]:
        return float(y[-1]) if len(y) else 0.0
    if len(y) > max_points:
        y = y[np.linspace(0, len(y) - 1, max_points).astype(np.int64)]
    x = np.linspace(0.0, 1.0, len(y))
    yn = (y - y[0]) / (y[-1] - y[0])
    return float(y[int(np.argmax(x - yn))])


# The eps / threshold grid, as quantiles of the k-distance: placed from the data alone, never from
# the truth (the truth only picks the best of them afterwards).
GRID_QUANTILES = (0.05, 0.1, 0.2, 0.4, 0.7)


def grid_from_kdistance(kdist):
    kdist = np.asarray(kdist, dtype=np.float64)
    kdist = kdist[np.isfinite(kdist)]
    return [float(np.quantile(kdist, q)) for q in GRID_QUANTILES]


def threadpools():
    """The BLAS / OpenMP pools the process uses (recorded with each run)."""
    try:
        from threadpoolctl import threadpool_info

        return [
            {k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
            for p in threadpool_info()
        ]
    except Exception as exc:  # the record is informative only
        return [{"error": str(exc)}]
