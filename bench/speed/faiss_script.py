"""The first script a user would write instead of `unfriend sweep` (issue 14): standardise the
features, exact cosine kNN with FAISS (IndexFlatIP on unit rows, k = 16), join accounts whose
similarity clears the knee of the k-distance curve, and flag the connected components of at least
MIN_GROUP accounts (scipy). Writes a result `unfriend evaluate` scores, and its own timings.

  python faiss_script.py DATA.h5 OUT.h5 TIMINGS.json
"""

import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))

from common import MIN_GROUP, kneedle, load_features, relabel_small, write_result  # noqa: E402

K = 16


def main(data, out, timings_path):
    import faiss
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    t0 = time.perf_counter()
    ids, X = load_features(data)
    t1 = time.perf_counter()
    index = faiss.IndexFlatIP(X.shape[1])
    index.add(X)
    sims, idx = index.search(X, K + 1)  # the row itself comes first
    sims, idx = sims[:, 1:], idx[:, 1:]
    t2 = time.perf_counter()
    threshold = 1.0 - kneedle(1.0 - sims[:, -1])
    n = X.shape[0]
    mask = (sims >= threshold) & (idx >= 0)
    rows = np.repeat(np.arange(n), K)[mask.ravel()]
    cols = idx.ravel()[mask.ravel()]
    graph = csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    cluster = relabel_small(labels, MIN_GROUP)
    write_result(out, ids, cluster, sims[:, -1].astype(np.float32),
                 {"similarity_threshold": float(threshold), "k": K})
    t3 = time.perf_counter()
    with open(timings_path, "w") as f:
        json.dump({"load_s": t1 - t0, "knn_s": t2 - t1, "components_s": t3 - t2,
                   "total_s": t3 - t0, "threshold": float(threshold),
                   "faiss": faiss.__version__, "omp_threads": faiss.omp_get_max_threads()}, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
