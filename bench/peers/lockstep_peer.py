#!/usr/bin/env python3
"""lockstep_peer: the pandas / scipy pipeline a data scientist would write instead of
`unfriend lockstep`, to find coordinated campaigns in an action log.

  python bench/peers/lockstep_peer.py ACTIONS.h5 -o OUT.h5 [--window 3600] [--min-jaccard 0.3]
         [--min-matches 3] [--min-size 10] [--batch-pairs 10000000]

ACTIONS.h5: /actions/account, /actions/target (int64), /actions/time (int64, seconds),
/actions/kind (int32), equal lengths, any order (bench/worlds/actionlog.py --actions-out).

Two accounts match on a (target, kind) when they have actions on it within --window seconds of
each other. matches(u, v) = the number of distinct (target, kind) on which they match;
Jaccard = matches / (n_u + n_v - matches), n_u = the number of distinct (target, kind) of u.
Pairs with Jaccard >= --min-jaccard and matches >= --min-matches are edges; connected components
(scipy.sparse.csgraph) of at least --min-size accounts are campaigns.

The pairs are formed per (target, kind) on the time-sorted log: every action with every later
action of the same (target, kind) up to --window seconds later (a sorted-window self-join,
vectorised with searchsorted), in batches of whole (target, kind) groups of about --batch-pairs
action pairs; each batch is deduplicated per (pair, target, kind) and counted per pair with
pandas, and the per-pair counts are summed across batches. Memory grows with the number of
action pairs in the largest (target, kind) group and with the number of distinct matched pairs:
viral targets make it hungry, as expected of this approach.

OUT.h5: /accounts/id (every account in the log, ascending), /labels/campaign (int64, -1 none,
else a campaign id >= 0, 0 the largest). Prints one JSON line: accounts, actions, action_pairs,
pairs, edges, campaigns, flagged, seconds.
"""

import argparse
import json
import sys
import time

import h5py
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def load(path):
    with h5py.File(path, "r") as f:
        g = f["actions"]
        return pd.DataFrame({
            "account": g["account"][()].astype(np.int64),
            "target": g["target"][()].astype(np.int64),
            "kind": g["kind"][()].astype(np.int32),
            "time": g["time"][()].astype(np.int64),
        })


def ragged_arange(counts):
    """Concatenation of arange(c) for c in counts."""
    tot = int(counts.sum())
    starts = np.cumsum(counts) - counts
    return np.arange(tot, dtype=np.int64) - np.repeat(starts, counts)


def matched_pairs(df, n_accounts, window, batch_pairs, log):
    """Series: packed pair key (u * n_accounts + v, u < v) -> number of matched (target, kind)."""
    df = df.sort_values(["target", "kind", "time"], kind="stable", ignore_index=True)
    tgt = df["target"].to_numpy()
    knd = df["kind"].to_numpy()
    t = df["time"].to_numpy()
    acc = df["acc"].to_numpy()
    M = len(df)
    new_group = np.r_[True, (tgt[1:] != tgt[:-1]) | (knd[1:] != knd[:-1])]
    grp = np.cumsum(new_group) - 1
    # one sorted key: groups spaced further apart than the window, time inside
    span = int(t.max() - t.min()) + window + 1
    key = grp * span + (t - t.min())
    end = np.searchsorted(key, key + window, side="right")  # first action beyond the window
    cnt = end - np.arange(M) - 1                              # later actions within the window
    total = int(cnt.sum())
    log(f"{M} actions in {grp[-1] + 1} (target, kind) groups, {total} action pairs in the window")
    # batches of whole groups, about batch_pairs action pairs each
    gstart = np.flatnonzero(new_group)
    before = np.r_[0, np.cumsum(cnt)][gstart]          # action pairs before each group
    gbatch = before // max(1, batch_pairs)
    cut = gstart[np.r_[True, gbatch[1:] != gbatch[:-1]]]
    cut = np.r_[cut, M]
    parts, held, base = [], 0, 0  # base: the length of the last consolidated part
    for b, (lo, hi) in enumerate(zip(cut[:-1], cut[1:])):
        c = cnt[lo:hi]
        if c.sum() == 0:
            continue
        i = np.repeat(np.arange(lo, hi, dtype=np.int64), c)
        j = i + 1 + ragged_arange(c)
        u, v = acc[i], acc[j]
        keep = u != v
        u, v, g = u[keep], v[keep], grp[i[keep]]
        del i, j, keep
        pair = np.minimum(u, v) * n_accounts + np.maximum(u, v)
        batch = pd.DataFrame({"pair": pair, "g": g}).drop_duplicates()
        parts.append(batch["pair"].value_counts())
        held += len(parts[-1])
        del u, v, g, pair, batch
        if held - base > max(4 * batch_pairs, base) and len(parts) > 1:  # amortised merge
            parts = [pd.concat(parts).groupby(level=0, sort=False).sum()]
            held = base = len(parts[0])
            log(f"batch {b + 1}/{len(cut) - 1}: {held} distinct pairs so far")
    if not parts:
        return pd.Series(np.zeros(0, np.int64), index=pd.Index(np.zeros(0, np.int64))), total
    matches = pd.concat(parts).groupby(level=0, sort=False).sum() if len(parts) > 1 else parts[0]
    return matches, total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("actions")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--window", type=int, default=3600, help="seconds (default 3600)")
    ap.add_argument("--min-jaccard", type=float, default=0.3)
    ap.add_argument("--min-matches", type=int, default=3)
    ap.add_argument("--min-size", type=int, default=10)
    ap.add_argument("--batch-pairs", type=int, default=10_000_000,
                    help="action pairs formed per batch of (target, kind) groups")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    t0 = time.time()

    def log(msg):
        if not a.quiet:
            print(f"[{time.time() - t0:7.1f}s] {msg}", file=sys.stderr, flush=True)

    df = load(a.actions)
    n_actions = len(df)
    codes, ids = pd.factorize(df["account"], sort=True)   # ids ascending, codes 0..N-1
    ids = np.asarray(ids, np.int64)
    N = len(ids)
    df["acc"] = codes.astype(np.int64)
    df = df.drop(columns="account").drop_duplicates(["acc", "target", "kind", "time"])
    n_u = df.drop_duplicates(["acc", "target", "kind"]).groupby("acc").size()
    n_u = n_u.reindex(np.arange(N), fill_value=0).to_numpy()
    log(f"loaded {n_actions} actions of {N} accounts")

    matches, action_pairs = matched_pairs(df, N, a.window, a.batch_pairs, log)
    del df
    log(f"{len(matches)} matched account pairs")

    pair = matches.index.to_numpy()
    m = matches.to_numpy()
    u, v = pair // N, pair % N
    jac = m / (n_u[u] + n_u[v] - m)
    keep = (jac >= a.min_jaccard) & (m >= a.min_matches)
    u, v = u[keep], v[keep]
    n_edges = len(u)
    graph = coo_matrix((np.ones(n_edges, np.int8), (u, v)), shape=(N, N))
    _, comp = connected_components(graph, directed=False)
    size = np.bincount(comp)
    big = np.flatnonzero(size >= a.min_size)
    big = big[np.argsort(-size[big], kind="stable")]        # campaign 0 = the largest
    camp_of = np.full(len(size), -1, np.int64)
    camp_of[big] = np.arange(len(big))
    labels = camp_of[comp]
    log(f"{n_edges} edges, {len(big)} campaigns, {int((labels >= 0).sum())} accounts flagged")

    with h5py.File(a.output, "w") as f:
        f.attrs["method"] = "lockstep_peer"
        f.attrs["window"] = a.window
        f.attrs["min_jaccard"] = a.min_jaccard
        f.attrs["min_matches"] = a.min_matches
        f.attrs["min_size"] = a.min_size
        f.create_dataset("/accounts/id", data=ids, dtype=np.int64)
        f.create_dataset("/labels/campaign", data=labels, dtype=np.int64)
    print(json.dumps(dict(accounts=N, actions=n_actions, action_pairs=action_pairs,
                          pairs=int(len(matches)), edges=int(n_edges), campaigns=int(len(big)),
                          flagged=int((labels >= 0).sum()),
                          seconds=round(time.time() - t0, 2))), flush=True)


if __name__ == "__main__":
    main()
