"""Per predicted cluster: its size, evidence and what the truth says its members are.

    python bench/quality/clusters_vs_truth.py RESULT.h5 TRUTH.h5 [--all]

A development aid for reading a sweep against a world's truth (which clusters are false
positives, and what their evidence looked like); the quality table itself comes from
`unfriend evaluate` through bench/quality/run.py.
"""
import argparse
import collections

import h5py
import numpy as np

KINDS = ["genuine", "dense", "farm", "mass_rep", "dup"]

ap = argparse.ArgumentParser()
ap.add_argument("result")
ap.add_argument("truth")
ap.add_argument("--all", action="store_true", help="list pure clusters too")
a = ap.parse_args()
r = h5py.File(a.result, "r")
t = h5py.File(a.truth, "r")
rid = r["/accounts/id"][:]
tid = t["/accounts/id"][:]
order = np.argsort(tid)
pos = order[np.searchsorted(tid, rid, sorter=order)]
kind = t["/truth/kind"][:][pos]
label = r["/labels/cluster"][:]
cols = {k: r["/clusters/" + k][:] for k in r["/clusters"].keys()}
print(f"{'id':>4} {'size':>6} {'breadth':>7} {'alike':>5} {'tight':>6} {'stab':>8} {'birth_d':>7} {'dens_d':>7}  composition")
for i, cid in enumerate(cols["id"]):
    members = kind[label == cid]
    comp = collections.Counter(members.tolist())
    bad = comp.get(0, 0) + comp.get(1, 0)
    if not a.all and bad == 0:
        continue
    g = lambda k: float(cols[k][i]) if k in cols else float("nan")
    desc = " ".join(f"{KINDS[k]}={v}" for k, v in sorted(comp.items()))
    print(f"{cid:>4} {len(members):>6} {g('breadth'):7.3f} {int(g('alike_features')):>5} {g('tightness'):6.2f} {g('stability'):8.1f} {g('birth_distance'):7.3f} {g('density_distance'):7.3f}  {desc}")
