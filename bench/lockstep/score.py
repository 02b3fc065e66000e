#!/usr/bin/env python3
"""Scores a lockstep result (/accounts/id, /labels/campaign) against an action-log world's truth
(/truth/account, /truth/kind): one JSON line.

Positives are the planted coordinated kinds: 2 like farms, 3 mass-reporting networks and 4
template bots (accounts replaying one script on the same posts act in lockstep too). Flagged =
campaign label >= 0; accounts missing from the result count as not flagged. Also the share of
each kind flagged: 0 genuine and 1 fan bases are the false-positive rates the issue bounds.

    python bench/lockstep/score.py WORLD.h5 RESULT.h5
"""
import json
import sys

import h5py
import numpy as np

NAMES = {0: "genuine", 1: "fan_base", 2: "like_farm", 3: "mass_report", 4: "template"}


def main(argv):
    truth, result = argv[:2]
    with h5py.File(truth, "r") as t, h5py.File(result, "r") as r:
        ids, kinds = t["/truth/account"][:], t["/truth/kind"][:]
        rid, label = r["/accounts/id"][:], r["/labels/campaign"][:]
    order = np.argsort(rid)
    pos = np.searchsorted(rid[order], ids)
    pos = np.minimum(pos, len(rid) - 1)
    found = rid[order][pos] == ids
    flagged = found & (label[order][pos] >= 0)
    positive = np.isin(kinds, [2, 3, 4])
    tp = int((flagged & positive).sum())
    precision = tp / max(1, int(flagged.sum()))
    recall = tp / max(1, int(positive.sum()))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    out = {"accounts": int(len(ids)), "flagged": int(flagged.sum()), "f1": round(f1, 4),
           "precision": round(precision, 4), "recall": round(recall, 4)}
    for code, name in NAMES.items():
        m = kinds == code
        if m.any():
            out[f"{name}_flagged"] = round(float(flagged[m].mean()), 5)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
