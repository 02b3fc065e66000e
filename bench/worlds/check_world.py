#!/usr/bin/env python3
"""Verify the format contract of a synthetic world file and print per-kind counts and group sizes.

python bench/worlds/check_world.py [--dims D] WORLD.h5 [WORLD.h5 ...]   exit status 1 on any violation
--dims D: also require D feature columns (eventcounts writes 80).
"""
import sys

import h5py
import numpy as np

KINDS = ["genuine", "dense_genuine", "click_farm", "mass_report", "near_duplicate"]
SPEC = {"accounts/features": (np.float32, 2), "accounts/id": (np.int64, 1),
        "truth/farm": (np.int64, 1), "truth/dup_group": (np.int64, 1),
        "truth/kind": (np.int32, 1), "truth/community": (np.int64, 1)}


def sizes(ids):
    ids = ids[ids >= 0]
    if not len(ids):
        return "none"
    c = np.bincount(ids)
    c = c[c > 0]
    return f"{len(c)} groups, sizes {c.min()}..{c.max()} (median {int(np.median(c))})"


def check(path, dims=None):
    bad = []
    with h5py.File(path, "r") as f:
        print(f"== {path}  attrs: " + ", ".join(f"{k}={str(f.attrs[k])[:40]!r}" for k in f.attrs))
        for k in ("generator", "seed", "setting"):
            if k not in f.attrs:
                bad.append(f"missing root attribute {k}")
        d = {}
        for name, (dt, nd) in SPEC.items():
            if name not in f:
                bad.append(f"missing {name}")
                continue
            ds = f[name]
            if ds.dtype != dt or ds.ndim != nd:
                bad.append(f"{name}: {ds.dtype} {ds.shape}, want {np.dtype(dt)} ndim {nd}")
            d[name.split("/")[1]] = ds[...]
    if bad:
        return bad
    X, n = d["features"], len(d["features"])
    print(f"rows {n}, dims {X.shape[1]}")
    for k in ("id", "farm", "dup_group", "kind", "community"):
        if len(d[k]) != n:
            bad.append(f"{k}: length {len(d[k])} != {n}")
    if bad:
        return bad
    if dims is not None and X.shape[1] != dims:
        bad.append(f"features: {X.shape[1]} columns, want {dims}")
    if not np.isfinite(X).all():
        bad.append(f"features: {int((~np.isfinite(X)).sum())} non-finite values")
    if (np.abs(X).sum(1) == 0).any():
        bad.append(f"features: {int((np.abs(X).sum(1) == 0).sum())} all-zero rows")
    if len(np.unique(d["id"])) != n:
        bad.append("id: not unique")
    if (d["id"] == np.arange(n)).all():
        bad.append("id: equals row index")
    kind, farm, dup, com = d["kind"], d["farm"], d["dup_group"], d["community"]
    if ((kind < 0) | (kind > 4)).any():
        bad.append("kind: values outside 0..4")
    if ((farm >= 0) != np.isin(kind, [2, 3])).any():
        bad.append("farm >= 0 exactly for kinds 2,3: violated")
    if ((dup >= 0) != (kind == 4)).any():
        bad.append("dup_group >= 0 exactly for kind 4: violated")
    if ((com >= 0) != (kind == 1)).any():
        bad.append("community >= 0 exactly for kind 1: violated")
    for col, name in ((farm, "farm"), (dup, "dup_group"), (com, "community")):
        if (col < -1).any():
            bad.append(f"{name}: values below -1")
        rows = np.flatnonzero(col >= 0)
        if len(rows):
            # a group of >= 5 rows filling one block of consecutive rows: not shuffled
            g = col[rows]
            cnt = np.bincount(g)
            span = np.zeros_like(cnt)
            np.maximum.at(span, g, rows)
            lo = np.full_like(cnt, len(col))
            np.minimum.at(lo, g, rows)
            span = span - lo + 1
            blk = (cnt >= 5) & (span == cnt)
            if blk.any():
                bad.append(f"{name}: {int(blk.sum())} groups lie in consecutive rows (not shuffled)")
    kc = np.bincount(kind, minlength=5)
    for i, k in enumerate(KINDS):
        print(f"  {i} {k:15s} {kc[i]:8d}  {100 * kc[i] / n:5.2f}%")
    for i in (2, 3):
        print(f"  {KINDS[i]:17s} networks: {sizes(np.where(kind == i, farm, -1))}")
    print(f"  dup groups:         {sizes(dup)}")
    print(f"  communities:        {sizes(com)}")
    ndupl = n - len(np.unique(X, axis=0))
    print(f"  exact duplicate rows (beyond first): {ndupl}")
    print(f"  feature range {X.min():.4g} .. {X.max():.4g}")
    return bad


def main():
    args, dims = sys.argv[1:], None
    if args[:1] == ["--dims"] and len(args) > 1:
        dims, args = int(args[1]), args[2:]
    if not args:
        sys.exit(__doc__)
    ok = True
    for p in args:
        bad = check(p, dims)
        for b in bad:
            print("  FAIL:", b)
        print("  OK" if not bad else "  INVALID")
        ok &= not bad
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
