#!/usr/bin/env python3
"""lockstep_score: account-level score of campaign labels against an action log's truth.

  python bench/peers/lockstep_score.py TRUTH.h5 LABELS.h5

TRUTH.h5: /truth/account, /truth/kind (bench/worlds/actionlog.py --actions-out; 0 genuine,
1 dense_genuine, 2 click_farm, 3 mass_report, 4 near_duplicate). LABELS.h5: /accounts/id,
/labels/campaign (-1 none). Accounts are matched by id; a truth account missing from LABELS.h5
counts as not flagged (and is counted in "missing"). Positive = click_farm or mass_report,
flagged = campaign >= 0. Prints one JSON line.
"""

import json
import sys

import h5py
import numpy as np


def main(argv=None):
    truth_path, labels_path = (argv or sys.argv[1:])[:2]
    with h5py.File(truth_path, "r") as f:
        acc = f["/truth/account"][()]
        kind = f["/truth/kind"][()]
    with h5py.File(labels_path, "r") as f:
        ids = f["/accounts/id"][()]
        camp = f["/labels/campaign"][()]
    order = np.argsort(ids)
    ids, camp = ids[order], camp[order]
    if len(ids):
        q = np.minimum(np.searchsorted(ids, acc), len(ids) - 1)
        found = ids[q] == acc
        label = np.where(found, camp[q], -1)
    else:
        found, label = np.zeros(len(acc), bool), np.full(len(acc), -1, np.int64)
    flagged = label >= 0
    pos = (kind == 2) | (kind == 3)
    tp = int((flagged & pos).sum())
    precision = tp / max(int(flagged.sum()), 1)
    recall = tp / max(int(pos.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0

    def share(k):
        sel = kind == k
        return round(float(flagged[sel].mean()), 6) if sel.any() else None

    print(json.dumps(dict(
        accounts=int(len(acc)), positives=int(pos.sum()), flagged=int(flagged.sum()), tp=tp,
        precision=round(precision, 4), recall=round(recall, 4), f1=round(f1, 4),
        genuine_flagged=share(0), fan_flagged=share(1), template_flagged=share(4),
        campaigns=int(len(np.unique(label[flagged]))), missing=int((~found).sum()),
        labels_not_in_truth=int(len(ids) - found.sum()))))


if __name__ == "__main__":
    main()
