"""The peer methods: what a user would write in Python instead of running unfriend.

Each method has two entry points (METHODS at the end):
  heuristic(X, cache_dir)        one run with the parameters a practitioner would pick without
                                 labels (eps / threshold at the knee of the k-distance curve;
                                 HDBSCAN: min_cluster_size 9), returns a list of one Setting;
  grid(X, values, cache_dir)     the small parameter grid (values: eps candidates from the
                                 k-distance quantiles; HDBSCAN: min_cluster_size 10, 20, 50), one
                                 Setting per value, sharing the expensive work where the library
                                 supports it (said per method).
cache_dir (or None) is a folder the heuristic run of a data set may leave reusable work in for
the grid run on the same data: HDBSCAN's single-linkage tree, which the grid does not change.
Every input X is the standardised, unit-length float32 matrix from common.load_features, so a
cosine distance is 1 - dot product and the Euclidean distance is sqrt(2 x cosine distance).
"""

import os
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

from common import KNN_K, MIN_GROUP, MIN_PTS, SEED, kneedle, relabel_small


@dataclass
class Setting:
    name: str  # file-name-safe label, e.g. "eps=0.0811"
    params: dict
    cluster: np.ndarray  # int64 per row, -1 none
    score: np.ndarray  # float32 per row
    seconds: float  # time spent on this setting (shared work counted once, in the first)
    extra: dict = field(default_factory=dict)


def _core_border_score(labels, core_indices):
    """DBSCAN has no per-account score: 1 for core accounts, 0.5 for border members, 0 noise."""
    score = np.where(labels >= 0, 0.5, 0.0).astype(np.float32)
    score[core_indices] = 1.0
    return score


# --- scikit-learn DBSCAN ------------------------------------------------------------------------
# metric="cosine" with algorithm="brute": scikit-learn's trees do not support cosine, and on
# 64 dimensions brute force is also the faster choice. min_samples counts the account itself
# (scikit-learn's convention), so the k-distance used for the knee is the min_samples-th column
# of kneighbors(X) on the training set, whose first column is the account itself.


def dbscan_heuristic(X):
    from sklearn.cluster import DBSCAN
    from sklearn.neighbors import NearestNeighbors

    t0 = time.perf_counter()
    nn = NearestNeighbors(n_neighbors=MIN_PTS, metric="cosine", algorithm="brute", n_jobs=-1)
    dist, _ = nn.fit(X).kneighbors(X)
    kdist = dist[:, MIN_PTS - 1]
    eps = max(kneedle(kdist), 1e-6)
    del dist
    t1 = time.perf_counter()
    db = DBSCAN(eps=eps, min_samples=MIN_PTS, metric="cosine", algorithm="brute", n_jobs=-1).fit(X)
    labels = db.labels_.astype(np.int64)
    t2 = time.perf_counter()
    return [
        Setting(
            name=f"eps={eps:.4g}",
            params={"eps_cosine": eps, "min_samples": MIN_PTS, "rule": "kneedle on k-distance"},
            cluster=labels,
            score=_core_border_score(labels, db.core_sample_indices_),
            seconds=t2 - t0,
            extra={"knee_seconds": t1 - t0, "dbscan_seconds": t2 - t1},
        )
    ]


def dbscan_grid(X, eps_values):
    """One sparse radius-neighbour graph at the largest eps, then DBSCAN(metric="precomputed") on
    the entries within each eps: scikit-learn's documented way to try several eps, and exactly
    the neighbourhoods a direct DBSCAN(eps, metric="cosine") would find."""
    from scipy.sparse import csr_matrix
    from sklearn.cluster import DBSCAN
    from sklearn.neighbors import NearestNeighbors

    eps_values = sorted(eps_values)
    t0 = time.perf_counter()
    nn = NearestNeighbors(radius=eps_values[-1], metric="cosine", algorithm="brute", n_jobs=-1)
    graph = nn.fit(X).radius_neighbors_graph(X, mode="distance").tocoo()
    shared = time.perf_counter() - t0
    settings = []
    for i, eps in enumerate(eps_values):
        t1 = time.perf_counter()
        keep = graph.data <= eps
        sub = csr_matrix((graph.data[keep], (graph.row[keep], graph.col[keep])), shape=graph.shape)
        db = DBSCAN(eps=eps, min_samples=MIN_PTS, metric="precomputed", n_jobs=-1).fit(sub)
        labels = db.labels_.astype(np.int64)
        settings.append(
            Setting(
                name=f"eps={eps:.4g}",
                params={"eps_cosine": eps, "min_samples": MIN_PTS},
                cluster=labels,
                score=_core_border_score(labels, db.core_sample_indices_),
                seconds=(shared if i == 0 else 0.0) + time.perf_counter() - t1,
                extra={"graph_entries": int(graph.nnz)} if i == 0 else {},
            )
        )
    return settings


# --- HDBSCAN ------------------------------------------------------------------------------------
# Euclidean distance on unit-length rows is sqrt(2 x cosine distance), a monotone map, so the
# mutual-reachability hierarchy (and every HDBSCAN clustering) is the same as with cosine; the
# tree-based algorithms that keep memory linear accept only Euclidean-type metrics (cosine would
# need the N x N distance matrix). min_samples = unfriend's min_pts; the heuristic min_cluster_size
# is unfriend's smallest cluster (min_pts + 1); the grid is min_cluster_size in {10, 20, 50}.

HDBSCAN_HEURISTIC_MIN_CLUSTER = MIN_GROUP
HDBSCAN_GRID = (10, 20, 50)


def _sklearn_hdbscan(min_cluster_size):
    from sklearn.cluster import HDBSCAN

    return HDBSCAN(
        min_cluster_size=min_cluster_size, min_samples=MIN_PTS, metric="euclidean", n_jobs=-1,
        copy=True,
    )


SKLEARN_TREE_FILE = "single_linkage_tree.npy"


def sklearn_hdbscan_heuristic(X, cache_dir=None):
    """With cache_dir, also saves the fitted single-linkage tree there (np.save: milliseconds)
    for the grid run to read its min_cluster_size settings from."""
    t0 = time.perf_counter()
    est = _sklearn_hdbscan(HDBSCAN_HEURISTIC_MIN_CLUSTER).fit(X)
    if cache_dir:
        np.save(os.path.join(cache_dir, SKLEARN_TREE_FILE), est._single_linkage_tree_)
    return [
        Setting(
            name=f"min_cluster_size={HDBSCAN_HEURISTIC_MIN_CLUSTER}",
            params={"min_cluster_size": HDBSCAN_HEURISTIC_MIN_CLUSTER, "min_samples": MIN_PTS},
            cluster=est.labels_.astype(np.int64),
            score=est.probabilities_.astype(np.float32),
            seconds=time.perf_counter() - t0,
        )
    ]


def sklearn_hdbscan_grid(X, sizes=HDBSCAN_GRID, cache_dir=None):
    """min_cluster_size does not change the single-linkage tree (it depends on min_samples only),
    so every size is read off one tree with the function HDBSCAN.fit itself ends with
    (tree_to_labels): the tree the heuristic run saved in cache_dir (same min_samples, same
    data), or one fit here when there is none."""
    from sklearn.cluster._hdbscan.hdbscan import tree_to_labels

    t0 = time.perf_counter()
    template = _sklearn_hdbscan(sizes[0])
    saved = os.path.join(cache_dir, SKLEARN_TREE_FILE) if cache_dir else None
    if saved and os.path.exists(saved):
        tree, source = np.load(saved), "tree of the heuristic run"
    else:
        tree, source = template.fit(X)._single_linkage_tree_, "fitted here"
    shared = time.perf_counter() - t0
    settings = []
    for i, size in enumerate(sizes):
        t1 = time.perf_counter()
        labels, probabilities = tree_to_labels(
            tree, size, template.cluster_selection_method, template.allow_single_cluster,
            template.cluster_selection_epsilon, template.max_cluster_size,
        )
        settings.append(
            Setting(
                name=f"min_cluster_size={size}",
                params={"min_cluster_size": size, "min_samples": MIN_PTS},
                cluster=np.asarray(labels, dtype=np.int64),
                score=np.asarray(probabilities, dtype=np.float32),
                seconds=(shared if i == 0 else 0.0) + time.perf_counter() - t1,
                extra={"single_linkage_tree": source} if i == 0 else {},
            )
        )
    return settings


def _hdbscan_package(min_cluster_size, memory=None):
    import hdbscan

    kwargs = {"memory": memory} if memory is not None else {}
    return hdbscan.HDBSCAN(
        min_cluster_size=min_cluster_size, min_samples=MIN_PTS, metric="euclidean",
        core_dist_n_jobs=-1, **kwargs,
    )


def hdbscan_heuristic(X, cache_dir=None):
    """With cache_dir, the fit goes through the package's joblib.Memory cache there, so that the
    grid run finds the minimum spanning tree computed."""
    from joblib import Memory

    t0 = time.perf_counter()
    memory = Memory(cache_dir, verbose=0) if cache_dir else None
    est = _hdbscan_package(HDBSCAN_HEURISTIC_MIN_CLUSTER, memory).fit(X)
    return [
        Setting(
            name=f"min_cluster_size={HDBSCAN_HEURISTIC_MIN_CLUSTER}",
            params={"min_cluster_size": HDBSCAN_HEURISTIC_MIN_CLUSTER, "min_samples": MIN_PTS},
            cluster=est.labels_.astype(np.int64),
            score=est.probabilities_.astype(np.float32),
            seconds=time.perf_counter() - t0,
        )
    ]


def hdbscan_grid(X, sizes=HDBSCAN_GRID, cache_dir=None):
    """The package's own answer to parameter sweeps: a joblib.Memory cache of the minimum spanning
    tree (the heuristic run's cache_dir when given: same min_samples, same data), so at most the
    first fit computes it."""
    from joblib import Memory

    settings = []
    with tempfile.TemporaryDirectory(prefix="hdbscan-cache-") as scratch:
        memory = Memory(cache_dir or scratch, verbose=0)
        for size in sizes:
            t0 = time.perf_counter()
            est = _hdbscan_package(size, memory).fit(X)
            settings.append(
                Setting(
                    name=f"min_cluster_size={size}",
                    params={"min_cluster_size": size, "min_samples": MIN_PTS},
                    cluster=est.labels_.astype(np.int64),
                    score=est.probabilities_.astype(np.float32),
                    seconds=time.perf_counter() - t0,
                )
            )
    return settings


# --- the data scientist's pipeline: faiss kNN graph -> threshold -> connected components --------
# IndexFlatIP on unit rows is exact cosine search; IVF uses the usual recipe (nlist = 4 sqrt(N),
# k-means on 64 x nlist sampled rows, nprobe = 16), and its recall@k is measured against exact
# search on a sample of rows. Edges with similarity >= threshold join accounts; components of at
# least MIN_GROUP accounts are flagged (the same smallest group as unfriend's clusters).

IVF_NPROBE = 16
RECALL_SAMPLE_ROWS = 1000


def _drop_self(sims, idx, k):
    """Search results of X against itself with k + 1 columns -> k columns without the row itself
    (where an exact duplicate outranks the row, the row may be missing: the last column goes)."""
    n = idx.shape[0]
    is_self = idx == np.arange(n)[:, None]
    first_self = np.where(is_self.any(axis=1), is_self.argmax(axis=1), k)
    drop = np.zeros_like(is_self)
    drop[np.arange(n), first_self] = True
    keep = ~drop
    return sims[keep].reshape(n, k), idx[keep].reshape(n, k)


def faiss_knn(X, exact, k=KNN_K, seed=SEED):
    import faiss

    n, d = X.shape
    info = {}
    if exact:
        index = faiss.IndexFlatIP(d)
    else:
        nlist = max(1, int(round(4 * np.sqrt(n))))
        nlist = min(nlist, max(1, n // 39))  # faiss wants >= 39 training points per list
        quantizer = faiss.IndexFlatIP(d)
        index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(seed)
        train_rows = min(n, 64 * nlist)
        sample = np.sort(rng.choice(n, size=train_rows, replace=False))
        index.train(np.ascontiguousarray(X[sample]))
        index.nprobe = min(IVF_NPROBE, nlist)
        info.update({"ivf_nlist": nlist, "ivf_nprobe": int(index.nprobe),
                     "ivf_train_rows": int(train_rows)})
    index.add(X)
    sims, idx = index.search(X, k + 1)
    sims, idx = _drop_self(sims, idx, k)
    return sims, idx, info


def knn_recall(X, idx, k=KNN_K, sample_rows=RECALL_SAMPLE_ROWS, seed=SEED):
    """recall@k of an approximate graph against exact search, on a seeded sample of rows."""
    import faiss

    n = X.shape[0]
    rng = np.random.default_rng(seed + 1)
    rows = np.sort(rng.choice(n, size=min(n, sample_rows), replace=False))
    exact = faiss.IndexFlatIP(X.shape[1])
    exact.add(X)
    sims, nbrs = exact.search(np.ascontiguousarray(X[rows]), k + 1)
    # Drop self the same way as the graph does, with row numbers of the whole matrix.
    is_self = nbrs == rows[:, None]
    first_self = np.where(is_self.any(axis=1), is_self.argmax(axis=1), k)
    keep = np.ones_like(is_self)
    keep[np.arange(len(rows)), first_self] = False
    nbrs = nbrs[keep].reshape(len(rows), k)
    hits = sum(len(np.intersect1d(nbrs[i], idx[r])) for i, r in enumerate(rows))
    return hits / float(len(rows) * k)


def threshold_components(sims, idx, threshold):
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    n, k = idx.shape
    mask = (sims >= threshold) & (idx >= 0)
    rows = np.repeat(np.arange(n), k)[mask.ravel()]
    cols = idx.ravel()[mask.ravel()]
    graph = csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # Components of one account are everyone who is not linked: only groups of MIN_GROUP count.
    return relabel_small(labels, MIN_GROUP)


def _faiss_settings(X, exact, thresholds, rule):
    t0 = time.perf_counter()
    sims, idx, info = faiss_knn(X, exact)
    knn_seconds = time.perf_counter() - t0
    kdist = 1.0 - sims[:, MIN_PTS - 2]  # min_samples-th account counting itself, as for DBSCAN
    if thresholds is None:
        thresholds = [1.0 - max(kneedle(kdist), 1e-6)]
    score = sims[:, MIN_PTS - 2].astype(np.float32)
    settings = []
    for i, threshold in enumerate(thresholds):
        t1 = time.perf_counter()
        labels = threshold_components(sims, idx, threshold)
        settings.append(
            Setting(
                name=f"threshold={threshold:.4g}",
                params={"similarity_threshold": float(threshold), "k": KNN_K,
                        "min_component": MIN_GROUP, "rule": rule, **info},
                cluster=labels,
                score=score,
                seconds=(knn_seconds if i == 0 else 0.0) + time.perf_counter() - t1,
                extra={"knn_seconds": knn_seconds} if i == 0 else {},
            )
        )
    recall = 1.0 if exact else knn_recall(X, idx)
    for s in settings:
        s.extra["recall_at_k"] = recall
    return settings


def faiss_heuristic(X, exact):
    return _faiss_settings(X, exact, None, "1 - kneedle on k-distance")


def faiss_grid(X, exact, eps_values):
    """One kNN graph; each threshold is a cut of it. Thresholds are 1 - eps for the same eps grid
    as DBSCAN (cosine distance quantiles)."""
    return _faiss_settings(X, exact, [1.0 - e for e in sorted(eps_values)], "grid")


# name -> (heuristic(X, cache_dir), grid(X, eps_values, cache_dir)); cache_dir: a folder the
# heuristic run may leave reusable work in for the grid run on the same data (HDBSCAN's tree).
METHODS = {
    "dbscan": (lambda X, cache: dbscan_heuristic(X), lambda X, values, cache: dbscan_grid(X, values)),
    "sklearn_hdbscan": (sklearn_hdbscan_heuristic,
                        lambda X, values, cache: sklearn_hdbscan_grid(X, cache_dir=cache)),
    "hdbscan": (hdbscan_heuristic, lambda X, values, cache: hdbscan_grid(X, cache_dir=cache)),
    "faiss_exact": (lambda X, cache: faiss_heuristic(X, True),
                    lambda X, values, cache: faiss_grid(X, True, values)),
    "faiss_ivf": (lambda X, cache: faiss_heuristic(X, False),
                  lambda X, values, cache: faiss_grid(X, False, values)),
}
