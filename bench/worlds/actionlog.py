#!/usr/bin/env python3
"""actionlog: an independent synthetic world built from a simulated raw action log.

Story
-----
A platform with pages that publish posts over ~2 weeks (plus posts from the two days before the
log starts, still live in feeds). Pages have heavy-tailed (Pareto) popularity, posts a log-normal
popularity around their page's. Every account produces a raw ACTION LOG (account, post, time in
seconds, kind in view / like / comment / share / report). The log is then AGGREGATED per account
into 45 features, the way a data team would (see FEATURE_NAMES):

  hour-of-day histogram (24 shares), action-kind mix (5 shares), target-popularity mix (5 shares:
  the post's total engagement in the log, banded at the post-level 50/80/95/99 % quantiles),
  volume (log actions, log distinct posts, log distinct pages) and rhythm (log median reaction
  delay after publication, sd of log delay, CV of inter-action gaps, share of actions in the
  account's busiest calendar hour, active days, share of reactions within 10 minutes of
  publication, share of actions on the account's top page, log number of sessions).

Populations (truth/kind):
  0 genuine        heterogeneous chronotypes (mixtures of daily activity bumps), bursty sessions,
                   heavy-tailed volume, followed pages chosen by popularity, a popularity-weighted
                   feed, log-normal reaction delays of hours.
  1 dense_genuine  fan bases: genuine accounts (same generator) that also follow one fan page and
                   react to a member-specific share of its posts within minutes to hours
                   (member-specific log-normal delays; asleep members react at their next session).
  2 click_farm     like farms: customers' posts are turned into orders; the cell on shift (farms
                   work in shifts, in their own time zone) likes the post within a short window,
                   each member joining a given order with some probability; plus camouflage: a
                   per-farm share of each member's actions is ordinary genuine-generator activity.
  3 mass_report    networks that report the posts of a few activist pages (which also get organic
                   engagement) in waves a short while after publication, sometimes twice, with
                   views and the odd comment, plus camouflage.
  4 near_duplicate template bots: groups replay one recorded script (one prototype log), each
                   member with group-specific timing jitter and skip rate (some groups exact).

CLI: python bench/worlds/actionlog.py -o OUT.h5 --rows 200000 --seed 1 [--setting default|hard]
         [--actions-out ACTIONS.h5]

--actions-out also writes the raw action log that was aggregated, in the input format of
`unfriend lockstep`: /actions/account (int64, the account's id as in /accounts/id of OUT.h5),
/actions/target (int64, post id), /actions/time (int64, simulated seconds + EPOCH),
/actions/kind (int32, 0 view 1 like 2 comment 3 share 4 report), rows in a seeded random order,
chunked, uncompressed; plus the truth by account id (ascending): /truth/account, /truth/kind
(codes as above), /truth/campaign (farm / network id of click_farm and mass_report members,
distinct across both kinds, else -1), /truth/dup_group, /truth/community. Its row order is drawn
from a generator of its own, so OUT.h5 is the same with or without the option.
"""

import argparse
import sys
import time

import h5py
import numpy as np

DAY = 86400
HOUR = 3600
N_DAYS = 14
T_END = N_DAYS * DAY            # the log covers [0, T_END); day 0 is a Monday, 00:00 local time
PRE = 2 * DAY                   # posts from up to two days before the log are still live
N_SLOTS = (T_END + PRE) // HOUR
KEY_SHIFT = 22                  # 2**22 > T_END + PRE: room for times / delays in packed keys
VIEW, LIKE, COMMENT, SHARE, REPORT = range(5)
N_KINDS = 5
POP_QUANTILES = (0.5, 0.8, 0.95, 0.99)
FAST_DELAY = 600
SESSION_GAP = 1800
EPOCH = 1_700_000_000           # second 0 in the --actions-out log (2023-11-14 22:13:20 UTC)

FEATURE_NAMES = (
    [f"hour_share_{h:02d}" for h in range(24)]
    + ["kind_share_view", "kind_share_like", "kind_share_comment", "kind_share_share",
       "kind_share_report"]
    + ["pop_band_share_q00_50", "pop_band_share_q50_80", "pop_band_share_q80_95",
       "pop_band_share_q95_99", "pop_band_share_q99_100"]
    + ["log_actions", "log_distinct_posts", "log_distinct_pages"]
    + ["log_median_reaction_delay_s", "sd_log_reaction_delay", "cv_inter_action_gap",
       "busiest_calendar_hour_share", "active_days", "fast_reaction_share_10min",
       "top_page_share", "log_sessions"]
)
assert len(FEATURE_NAMES) == 45

SETTINGS = {
    "default": dict(
        fan_share=0.04, fan_size=(50, 3000), fan_delay=(300, 3 * HOUR), fan_sigma=(0.7, 1.3),
        fan_part_mean=0.55,
        farm_share=0.04, farm_size=(20, 5000), farm_camo=(0.0, 1 / 3),
        farm_window=(120, 1800), farm_part=(0.5, 0.95), farm_cells=(1, 4),
        farm_lag=(300, HOUR),
        mr_share=0.01, mr_size=(20, 1000), mr_camo=(0.0, 1 / 3), mr_window=(120, 1200),
        mr_part=(0.4, 0.9), mr_lag=(900, 2 * HOUR),
        dup_share=0.01, dup_size=(5, 200), dup_exact=0.3, dup_jitter=(1, 120),
        dup_skip=(0.0, 0.03),
    ),
    # more camouflage, smaller networks, looser timing, bigger and faster fan bases,
    # fewer exact template groups, noisier template replays
    "hard": dict(
        fan_share=0.06, fan_size=(200, 6000), fan_delay=(120, 1800), fan_sigma=(0.6, 1.2),
        fan_part_mean=0.7,
        farm_share=0.03, farm_size=(20, 1500), farm_camo=(0.15, 0.5),
        farm_window=(900, 3 * HOUR), farm_part=(0.3, 0.8), farm_cells=(2, 6),
        farm_lag=(600, 3 * HOUR),
        mr_share=0.008, mr_size=(20, 400), mr_camo=(0.15, 0.5), mr_window=(600, 2 * HOUR),
        mr_part=(0.3, 0.8), mr_lag=(900, 4 * HOUR),
        dup_share=0.01, dup_size=(5, 100), dup_exact=0.1, dup_jitter=(30, 1800),
        dup_skip=(0.01, 0.08),
    ),
}


def log_uniform(rng, lo, hi, size=None):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size))


def partition(rng, total, lo, hi):
    """Group sizes, log-uniform in [lo, hi], filling about `total` accounts."""
    sizes = []
    rem = int(total)
    hi = max(lo, min(hi, rem))
    while rem >= lo:
        s = int(round(log_uniform(rng, lo, hi)))
        s = min(s, rem)
        if 0 < rem - s < lo:  # absorb a remainder too small to be a group
            s = rem if rem <= hi else s
        sizes.append(s)
        rem -= s
    return sizes


def ragged_arange(counts):
    """Concatenation of arange(c) for c in counts."""
    counts = np.asarray(counts, np.int64)
    tot = int(counts.sum())
    if tot == 0:
        return np.zeros(0, np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(tot, dtype=np.int64) - np.repeat(starts, counts)


def sample_rows(rng, cum, rows, chunk=1 << 20):
    """Draw one category per entry of `rows` from the per-row cumulative distributions `cum`."""
    out = np.empty(len(rows), np.int64)
    m = cum.shape[1]
    for s in range(0, len(rows), chunk):
        r = rows[s:s + chunk]
        u = rng.random(len(r), dtype=np.float32)
        out[s:s + chunk] = (cum[r] < u[:, None]).sum(1)
    np.minimum(out, m - 1, out=out)
    return out


def to_cum(w):
    c = np.cumsum(w, axis=1, dtype=np.float64)
    c /= c[:, -1:]
    return c.astype(np.float32)


# ----------------------------------------------------------------------------------------------
# pages and posts
# ----------------------------------------------------------------------------------------------

class Posts:
    def __init__(self, rng, n_pages, rate_override):
        self.n_pages = n_pages
        pop = rng.pareto(1.3, n_pages) + 1.0
        rate = np.exp(rng.normal(np.log(0.7), 1.0, n_pages)) * pop ** 0.15
        rate = np.clip(rate, 0.03, 30.0)
        for pg, r in rate_override.items():
            rate[pg] = r
        self.page_pop = pop
        n_post = rng.poisson(rate * (N_DAYS + PRE / DAY))
        page = np.repeat(np.arange(n_pages, dtype=np.int64), n_post)
        m = len(page)
        # pages publish mostly in their own working hours
        centre = rng.normal(14.0, 3.0, n_pages)
        width = rng.uniform(1.5, 5.0, n_pages)
        hour = centre[page] + rng.normal(0.0, 1.0, m) * width[page]
        uni = rng.random(m) < 0.12
        hour[uni] = rng.uniform(0, 24, uni.sum())
        hour = np.mod(hour, 24.0)
        day = rng.integers(-(PRE // DAY), N_DAYS, m)
        pub = (day * DAY + hour * HOUR).astype(np.int64)
        ppop = pop[page] * rng.lognormal(0.0, 0.9, m)
        order = np.argsort(pub, kind="stable")
        self.pub = pub[order]
        self.page = page[order]
        self.pop = ppop[order]
        self.n = m
        # page-sorted view: key = page << KEY_SHIFT | (pub + PRE)
        pk = (self.page << KEY_SHIFT) | (self.pub + PRE)
        porder = np.argsort(pk, kind="stable")
        self.pk = pk[porder]
        self.pidx = porder
        self.page_start = np.searchsorted(self.pk, np.arange(n_pages + 1, dtype=np.int64) << KEY_SHIFT)
        # hourly publication slots for the popularity-weighted feed
        slot = (self.pub + PRE) // HOUR
        self.slot_start = np.searchsorted(slot, np.arange(N_SLOTS + 1))
        self.cumw = np.concatenate([[0.0], np.cumsum(self.pop)])
        nonempty = np.diff(self.slot_start) > 0
        idx = np.where(nonempty, np.arange(N_SLOTS), -1)
        self.last_nonempty = np.maximum.accumulate(idx)
        self.first_nonempty = int(np.flatnonzero(nonempty)[0])

    def page_posts(self, pg):
        return self.pidx[self.page_start[pg]:self.page_start[pg + 1]]

    def latest_before(self, pg, tau):
        """Latest post of page pg published at or before tau, -1 if none."""
        key = (pg.astype(np.int64) << KEY_SHIFT) | np.clip(tau + PRE, 0, (1 << KEY_SHIFT) - 1)
        q = np.searchsorted(self.pk, key, side="right") - 1
        ok = (q >= 0) & (tau + PRE >= 0)
        q0 = np.maximum(q, 0)
        ok &= (self.pk[q0] >> KEY_SHIFT) == pg
        return np.where(ok, self.pidx[q0], -1)

    def _in_slot(self, rng, s):
        a = self.slot_start[s]
        b = self.slot_start[s + 1]
        lo = self.cumw[a]
        hi = self.cumw[b]
        target = lo + rng.random(len(s)) * (hi - lo)
        idx = np.searchsorted(self.cumw, target, side="right") - 1
        return np.clip(idx, a, b - 1)

    def feed_pick(self, rng, tau, t):
        """A popularity-weighted post published around tau (hour slot), and not after t."""
        st = (t + PRE) // HOUR
        s = np.clip((tau + PRE) // HOUR, 0, N_SLOTS - 1)
        s = np.minimum(s, st)
        s = self.last_nonempty[s]
        s = np.where(s < 0, self.first_nonempty, s)
        idx = self._in_slot(rng, s)
        bad = self.pub[idx] > t
        if bad.any():
            s2 = self.last_nonempty[np.maximum(s[bad] - 1, 0)]
            ok2 = (s[bad] >= 1) & (s2 >= 0)
            s2 = np.where(ok2, s2, self.first_nonempty)
            idx2 = self._in_slot(rng, s2)
            ok2 &= self.pub[idx2] <= t[bad]
            idx[bad] = np.where(ok2, idx2, -1)
        return idx


# ----------------------------------------------------------------------------------------------
# the genuine behaviour generator (also camouflage, fan members' own activity, template scripts)
# ----------------------------------------------------------------------------------------------

ARCH_CENTRES = np.array([7.5, 12.5, 17.0, 20.5, 23.0, 1.5])
ARCH_P = np.array([0.18, 0.15, 0.17, 0.30, 0.14, 0.06])
GENUINE_KINDS = np.array([0.70, 0.197, 0.05, 0.048, 0.005])
FAN_KINDS = np.array([0.33, 0.45, 0.13, 0.085, 0.005])
SCRIPT_KINDS = np.array([0.45, 0.35, 0.03, 0.17, 0.0])


def chronotypes(rng, k, narrow=None):
    h = (np.arange(24, dtype=np.float32) + 0.5)[None, None, :]
    nb = 3
    cat = rng.choice(len(ARCH_CENTRES), size=(k, nb), p=ARCH_P)
    c = np.mod(ARCH_CENTRES[cat] + rng.normal(0, 1.2, (k, nb)), 24).astype(np.float32)
    w = rng.dirichlet([2.0, 1.0, 0.5], size=k).astype(np.float32)
    sig = rng.uniform(1.0, 3.5, (k, nb)).astype(np.float32)
    if narrow is not None:
        sig[narrow] = rng.uniform(0.3, 0.8, (int(narrow.sum()), nb))
    d = np.abs(h - c[:, :, None])
    d = np.minimum(d, 24 - d)
    W = (w[:, :, None] * np.exp(-0.5 * (d / sig[:, :, None]) ** 2)).sum(1)
    floor = rng.uniform(0.003, 0.06, k).astype(np.float32)
    if narrow is not None:
        floor[narrow] = 1e-4
    W += floor[:, None] * W.max(1, keepdims=True)
    W /= W.sum(1, keepdims=True)
    return W


def draw_genuine(rng, k, n, posts, follow_pages, kinds=GENUINE_KINDS, scripted=False):
    """Per-account parameters of the genuine generator for k accounts with n actions each."""
    P = {"k": k, "n": np.asarray(n, np.int64)}
    narrow = (rng.random(k) < 0.5) if scripted else None
    P["W"] = chronotypes(rng, k, narrow)
    P["Wcum"] = to_cum(P["W"])
    kappa = np.exp(rng.normal(0.0, 0.8, k))
    if scripted:
        kappa[:] = 20.0
    Dw = rng.gamma(kappa[:, None], size=(k, N_DAYS)) + 1e-3
    weekend = np.exp(rng.normal(0.0, 0.4, k))
    for d0 in (5, 6, 12, 13):
        Dw[:, d0] *= weekend
    P["Dcum"] = to_cum(Dw)
    aps = np.clip(np.exp(rng.normal(np.log(4.0), 0.6, k)), 1.0, 60.0)
    P["ns"] = np.maximum(1, np.ceil(P["n"] / aps)).astype(np.int64)
    P["sess_len"] = np.exp(rng.normal(np.log(240.0), 0.7, k))
    P["md"] = np.exp(rng.normal(np.log(3 * HOUR), 0.8, k))
    P["sd"] = rng.uniform(0.7, 1.4, k)
    conc = np.exp(rng.normal(np.log(30.0 if scripted else 15.0), 0.5, k))
    alpha = conc[:, None] * kinds[None, :] + 1e-3
    mix = rng.gamma(alpha)
    mix[:, kinds == 0] = 0.0
    mix += 1e-12
    P["mixcum"] = to_cum(mix)
    nf = 1 + rng.poisson(np.exp(rng.normal(np.log(8.0), 0.9, k)))
    nf = np.minimum(nf, 400).astype(np.int64)
    wpage = posts.page_pop ** 0.6
    cw = np.cumsum(wpage)
    fl = np.searchsorted(cw, rng.random(int(nf.sum())) * cw[-1], side="right")
    fl = np.minimum(fl, posts.n_pages - 1)
    foff = np.concatenate([[0], np.cumsum(nf)])
    if follow_pages is not None:  # forced follows (fan members follow their fan page)
        has = follow_pages >= 0
        fl[foff[:-1][has]] = follow_pages[has]
    P["nf"], P["foff"], P["follows"] = nf, foff, fl
    P["pfollow"] = rng.beta(2.0, 2.5, k)
    return P


def gen_sessions(rng, P):
    k, ns = P["k"], P["ns"]
    rows = np.repeat(np.arange(k, dtype=np.int64), ns)
    day = sample_rows(rng, P["Dcum"], rows)
    hour = sample_rows(rng, P["Wcum"], rows)
    t = day * DAY + hour * HOUR + rng.integers(0, HOUR, len(rows))
    t = np.sort((rows << KEY_SHIFT) | t) & ((1 << KEY_SHIFT) - 1)
    P["sess_t"] = t
    P["sess_off"] = np.concatenate([[0], np.cumsum(ns)])


def next_session(rng, P, rows, t):
    """Time of account `rows`' first session at or after t (plus an in-session offset), -1 if none."""
    q = P["sess_off"][rows] + _count_before(P, rows, t)
    ok = q < P["sess_off"][rows + 1]
    st = P["sess_t"][np.minimum(q, len(P["sess_t"]) - 1)]
    out = st + rng.exponential(P["sess_len"][rows]).astype(np.int64)
    return np.where(ok, out, -1)


def _count_before(P, rows, t):
    # number of sessions of account r starting before t: via a packed key search
    if "sess_key" not in P:
        r = np.repeat(np.arange(P["k"], dtype=np.int64), P["ns"])
        P["sess_key"] = (r << KEY_SHIFT) | P["sess_t"]
    key = (rows << KEY_SHIFT) | np.clip(t, 0, (1 << KEY_SHIFT) - 1)
    return np.searchsorted(P["sess_key"], key, side="left") - P["sess_off"][rows]


def gen_actions(rng, P, posts):
    """The genuine log of the k accounts: (local row, post, t, kind)."""
    k, n = P["k"], P["n"]
    rows = np.repeat(np.arange(k, dtype=np.int64), n)
    m = len(rows)
    si = P["sess_off"][rows] + (rng.random(m) * P["ns"][rows]).astype(np.int64)
    t = P["sess_t"][si] + rng.exponential(P["sess_len"][rows]).astype(np.int64)
    keep = t < T_END
    rows, t = rows[keep], t[keep]
    m = len(rows)
    d = np.clip(rng.lognormal(np.log(P["md"][rows]), P["sd"][rows]), 20, 6 * DAY).astype(np.int64)
    tau = t - d
    post = np.full(m, -1, np.int64)
    ff = rng.random(m) < P["pfollow"][rows]
    fi = np.flatnonzero(ff)
    if len(fi):
        r = rows[fi]
        pg = P["follows"][P["foff"][r] + (rng.random(len(fi)) * P["nf"][r]).astype(np.int64)]
        p1 = posts.latest_before(pg, tau[fi])
        miss = p1 < 0
        if miss.any():
            p1[miss] = posts.latest_before(pg[miss], t[fi][miss])
        post[fi] = p1
    fe = np.flatnonzero(post < 0)
    if len(fe):
        post[fe] = posts.feed_pick(rng, tau[fe], t[fe])
    ok = post >= 0
    rows, post, t = rows[ok], post[ok], t[ok]
    kind = sample_rows(rng, P["mixcum"], rows).astype(np.int8)
    return rows, post, t, kind


# ----------------------------------------------------------------------------------------------
# coordinated behaviour
# ----------------------------------------------------------------------------------------------

def window_offsets(rng, m, window):
    # front-loaded arrivals inside the window
    return (window * rng.beta(1.2, 2.5, m)).astype(np.int64)


def like_farm(rng, members, posts, cust_pages, cfg):
    S = len(members)
    n_cells = int(rng.integers(cfg["farm_cells"][0], cfg["farm_cells"][1] + 1))
    n_cells = max(1, min(n_cells, S // 5))
    cell = rng.permutation(S) % n_cells
    tz = int(rng.integers(0, 24))
    work = 24.0 if rng.random() < 0.5 else float(rng.integers(10, 19))
    L = work / n_cells
    window = log_uniform(rng, *cfg["farm_window"])
    cand = np.concatenate([posts.page_posts(p) for p in cust_pages])
    cand = cand[(posts.pub[cand] > -6 * HOUR) & (posts.pub[cand] < T_END)]
    orders = cand[rng.random(len(cand)) < rng.uniform(0.4, 1.0)]
    max_orders = int(rng.integers(80, 400))
    if len(orders) > max_orders:
        orders = rng.choice(orders, max_orders, replace=False)
    lag = rng.lognormal(np.log(log_uniform(rng, *cfg["farm_lag"])), 0.6, len(orders))
    start = posts.pub[orders] + lag.astype(np.int64)
    hl = np.mod(start / HOUR - tz, 24.0)
    off = hl >= work
    start = start + np.where(off, ((24.0 - hl) * HOUR).astype(np.int64) + rng.integers(0, 600, len(orders)), 0)
    hl = np.where(off, 0.0, hl)
    c = np.minimum((hl / L).astype(np.int64), n_cells - 1)
    ok = start < T_END
    orders, start, c = orders[ok], start[ok], c[ok]
    # members of the cell on shift
    by_cell = np.argsort(cell, kind="stable")
    cell_cnt = np.bincount(cell, minlength=n_cells)
    cell_start = np.concatenate([[0], np.cumsum(cell_cnt)])
    rep = cell_cnt[c]
    o = np.repeat(np.arange(len(orders)), rep)
    mem = by_cell[np.repeat(cell_start[c], rep) + ragged_arange(rep)]
    rho = rng.uniform(*cfg["farm_part"], len(orders))
    rel = rng.uniform(0.75, 1.0, S)
    keep = rng.random(len(o)) < rho[o] * rel[mem]
    o, mem = o[keep], mem[keep]
    t = start[o] + window_offsets(rng, len(o), window)
    pv, pc, ps = rng.uniform(0.1, 0.9), rng.uniform(0.0, 0.1), rng.uniform(0.0, 0.08)
    acts = [(mem, orders[o], t, LIKE)]
    for prob, kd, lo, hi in ((pv, VIEW, -90, -3), (pc, COMMENT, 10, 300), (ps, SHARE, 5, 120)):
        sel = rng.random(len(o)) < prob
        acts.append((mem[sel], orders[o[sel]], t[sel] + rng.integers(lo, hi, sel.sum()), kd))
    return acts, dict(cells=n_cells, tz=tz, work=work, window=window, orders=len(orders))


def mass_report(rng, members, posts, act_pages, cfg):
    S = len(members)
    window = log_uniform(rng, *cfg["mr_window"])
    cand = np.concatenate([posts.page_posts(p) for p in act_pages])
    cand = cand[(posts.pub[cand] > -6 * HOUR) & (posts.pub[cand] < T_END)]
    waves = cand[rng.random(len(cand)) < rng.uniform(0.3, 0.9)]
    lag = rng.lognormal(np.log(log_uniform(rng, *cfg["mr_lag"])), 0.7, len(waves))
    start = posts.pub[waves] + lag.astype(np.int64)
    again = rng.random(len(waves)) < 0.25  # a second wave on the same post, hours later
    waves = np.concatenate([waves, waves[again]])
    start = np.concatenate([start, start[again] + rng.integers(2 * HOUR, 24 * HOUR, again.sum())])
    ok = start < T_END
    waves, start = waves[ok], start[ok]
    o = np.repeat(np.arange(len(waves)), S)
    mem = np.tile(np.arange(S), len(waves))
    rho = rng.uniform(*cfg["mr_part"], len(waves))
    rel = rng.uniform(0.7, 1.0, S)
    keep = rng.random(len(o)) < rho[o] * rel[mem]
    o, mem = o[keep], mem[keep]
    t = start[o] + window_offsets(rng, len(o), window)
    acts = [(mem, waves[o], t, REPORT)]
    pv, pc = rng.uniform(0.5, 0.95), rng.uniform(0.0, 0.15)
    for prob, kd, lo, hi in ((pv, VIEW, -120, -5), (pc, COMMENT, 10, 300)):
        sel = rng.random(len(o)) < prob
        acts.append((mem[sel], waves[o[sel]], t[sel] + rng.integers(lo, hi, sel.sum()), kd))
    return acts, dict(window=window, waves=len(waves), pages=len(act_pages))


# ----------------------------------------------------------------------------------------------
# aggregation: the data team's per-account features
# ----------------------------------------------------------------------------------------------

def aggregate(N, acc, post, t, kind, posts):
    acc = acc.astype(np.int64)
    order = np.argsort((acc << KEY_SHIFT) | t)
    acc, post, t, kind = acc[order], post[order], t[order], kind[order]
    n = np.bincount(acc, minlength=N)
    assert n.min() >= 1
    start = np.concatenate([[0], np.cumsum(n)])[:-1]
    F = np.zeros((N, 45), np.float64)
    nf = n[:, None].astype(np.float64)
    hour = (t // HOUR) % 24
    F[:, 0:24] = np.bincount(acc * 24 + hour, minlength=N * 24).reshape(N, 24) / nf
    F[:, 24:29] = np.bincount(acc * N_KINDS + kind, minlength=N * N_KINDS).reshape(N, N_KINDS) / nf
    cnt = np.bincount(post, minlength=posts.n)
    q = np.quantile(cnt[cnt > 0], POP_QUANTILES)
    band = np.searchsorted(q, cnt[post], side="left")
    F[:, 29:34] = np.bincount(acc * 5 + band, minlength=N * 5).reshape(N, 5) / nf
    F[:, 34] = np.log1p(n)
    ukey, ucnt = np.unique(acc * posts.n + post, return_counts=True)
    F[:, 35] = np.log1p(np.bincount(ukey // posts.n, minlength=N))
    page = posts.page[post]
    ukey, ucnt = np.unique(acc * posts.n_pages + page, return_counts=True)
    uacc = ukey // posts.n_pages
    F[:, 36] = np.log1p(np.bincount(uacc, minlength=N))
    first = np.flatnonzero(np.r_[True, uacc[1:] != uacc[:-1]])
    F[:, 44 - 1] = np.maximum.reduceat(ucnt, first) / n  # top_page_share
    delay = np.maximum(t - posts.pub[post], 1)
    ld = np.log(delay)
    dord = np.argsort((acc << KEY_SHIFT) | np.minimum(delay, (1 << KEY_SHIFT) - 1))
    lds = ld[dord]
    F[:, 37] = 0.5 * (lds[start + (n - 1) // 2] + lds[start + n // 2])
    s1 = np.bincount(acc, weights=ld, minlength=N)
    s2 = np.bincount(acc, weights=ld * ld, minlength=N)
    F[:, 38] = np.sqrt(np.maximum(s2 / n - (s1 / n) ** 2, 0.0))
    same = acc[1:] == acc[:-1]
    g = (t[1:] - t[:-1])[same].astype(np.float64)
    ga = acc[1:][same]
    ng = np.bincount(ga, minlength=N)
    g1 = np.bincount(ga, weights=g, minlength=N)
    g2 = np.bincount(ga, weights=g * g, minlength=N)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = g1 / ng
        sd = np.sqrt(np.maximum(g2 / ng - mean ** 2, 0.0))
        cv = np.where((ng >= 2) & (mean > 0), sd / mean, 0.0)
    F[:, 39] = cv
    ukey, ucnt = np.unique(acc * (N_DAYS * 24) + t // HOUR, return_counts=True)
    uacc = ukey // (N_DAYS * 24)
    first = np.flatnonzero(np.r_[True, uacc[1:] != uacc[:-1]])
    F[:, 40] = np.maximum.reduceat(ucnt, first) / n
    ukey = np.unique(acc * N_DAYS + t // DAY)
    F[:, 41] = np.bincount(ukey // N_DAYS, minlength=N)
    F[:, 42] = np.bincount(acc, weights=(delay < FAST_DELAY), minlength=N) / n
    sess = 1 + np.bincount(ga, weights=(g > SESSION_GAP), minlength=N)
    F[:, 44] = np.log1p(sess)
    return F


# ----------------------------------------------------------------------------------------------
# world
# ----------------------------------------------------------------------------------------------

def build(rows, seed, setting, verbose=True, keep_log=False):
    """The world. With keep_log, also the action log (account index, post, t, kind) at the end."""
    cfg = SETTINGS[setting]
    rng = np.random.default_rng([seed, 0xAC7105])
    t0 = time.time()

    def log(msg):
        if verbose:
            print(f"[{time.time() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    N = int(rows)
    fan_sizes = partition(rng, cfg["fan_share"] * N, *cfg["fan_size"])
    farm_sizes = partition(rng, cfg["farm_share"] * N, *cfg["farm_size"])
    mr_sizes = partition(rng, cfg["mr_share"] * N, *cfg["mr_size"])
    dup_sizes = partition(rng, cfg["dup_share"] * N, *cfg["dup_size"])
    n_special = sum(fan_sizes) + sum(farm_sizes) + sum(mr_sizes) + sum(dup_sizes)
    if n_special > 0.5 * N:
        raise SystemExit("too few rows for this setting")

    kindv = np.zeros(N, np.int32)
    farm = np.full(N, -1, np.int64)
    dup = np.full(N, -1, np.int64)
    comm = np.full(N, -1, np.int64)
    pos = N - n_special
    groups = []  # (kind, group id, member indices)
    for kd, sizes, arr in ((1, fan_sizes, comm), (2, farm_sizes, farm), (3, mr_sizes, farm),
                           (4, dup_sizes, dup)):
        for s in sizes:
            idx = np.arange(pos, pos + s)
            pos += s
            gid = (len([g for g in groups if g[0] in (2, 3)]) if kd in (2, 3)
                   else len([g for g in groups if g[0] == kd]))
            kindv[idx] = kd
            arr[idx] = gid
            groups.append((kd, gid, idx))

    # pages: special roles chosen before posting rates are fixed
    n_pages = max(400, N // 8)
    pop_probe = np.random.default_rng([seed, 7]).pareto(1.3, n_pages)  # only for role choice
    rank = np.argsort(np.argsort(-pop_probe)) / n_pages  # 0 = most popular
    free = np.ones(n_pages, bool)
    overrides = {}

    def pick(nsel, lo, hi, rate_lo, rate_hi):
        cand = np.flatnonzero(free & (rank >= lo) & (rank < hi))
        sel = rng.choice(cand, nsel, replace=False)
        free[sel] = False
        for p in sel:
            overrides[int(p)] = float(rng.uniform(rate_lo, rate_hi))
        return sel

    fan_pages = pick(len(fan_sizes), 0.0, 0.3, 1.0, 6.0)
    cust = [pick(int(rng.integers(3, 26)), 0.2, 0.9, 0.5, 4.0) for _ in farm_sizes]
    activ = [pick(int(rng.integers(2, 9)), 0.0, 0.4, 0.5, 3.0) for _ in mr_sizes]
    posts = Posts(np.random.default_rng([seed, 7]), n_pages, overrides)
    assert np.allclose(posts.page_pop, pop_probe + 1.0)
    log(f"{n_pages} pages, {posts.n} posts")

    A_acc, A_post, A_t, A_kind = [], [], [], []

    def add(acc, post, t, kd):
        t = np.asarray(t, np.int64)
        ok = (t >= 0) & (t < T_END)
        A_acc.append(np.asarray(acc, np.int64)[ok].astype(np.int32))
        A_post.append(np.asarray(post, np.int64)[ok].astype(np.int32))
        A_t.append(t[ok].astype(np.int32))
        kd = np.asarray(kd)
        A_kind.append((np.full(ok.sum(), kd, np.int8) if kd.ndim == 0 else kd[ok].astype(np.int8)))

    # coordinated actions
    coord_n = np.zeros(N, np.int64)
    meta = []
    ci = cm = 0
    for kd, gid, idx in groups:
        if kd == 2:
            acts, info = like_farm(rng, idx, posts, cust[ci], cfg)
            ci += 1
        elif kd == 3:
            acts, info = mass_report(rng, idx, posts, activ[cm], cfg)
            cm += 1
        else:
            continue
        camo = rng.uniform(*(cfg["farm_camo"] if kd == 2 else cfg["mr_camo"]))
        for mem, post, t, k_ in acts:
            add(idx[mem], post, t, k_)
            coord_n += np.bincount(idx[mem], minlength=N)
        info.update(kind=kd, id=gid, size=len(idx), camouflage=camo)
        meta.append(info)
        m = coord_n[idx]
        coord_n[idx] = -1 - rng.poisson(camo / (1 - camo) * m * rng.lognormal(0, 0.3, len(idx)))
    camo_n = np.where(coord_n < 0, -1 - coord_n, 0)
    log(f"coordinated actions: {sum(len(a) for a in A_acc)}")

    # genuine-generator activity: genuine users, fan members, camouflage
    n_gen = np.zeros(N, np.int64)
    vol = np.clip(np.round(np.exp(rng.normal(np.log(25.0), 1.1, N))), 1, 3000).astype(np.int64)
    sel_g = (kindv == 0) | (kindv == 1)
    n_gen[sel_g] = vol[sel_g]
    cam = (kindv == 2) | (kindv == 3)
    n_gen[cam] = camo_n[cam]
    accs = np.flatnonzero(n_gen > 0)
    fpage = np.full(N, -1, np.int64)
    for kd, gid, idx in groups:
        if kd == 1:
            fpage[idx] = fan_pages[gid]
    P = draw_genuine(rng, len(accs), n_gen[accs], posts, fpage[accs])
    gen_sessions(rng, P)
    r, post, t, kd = gen_actions(rng, P, posts)
    add(accs[r], post, t, kd)
    log(f"genuine-generator actions: {len(r)} for {len(accs)} accounts")
    del r, post, t, kd

    # fan bases react to their page's posts
    local = np.full(N, -1, np.int64)
    local[accs] = np.arange(len(accs))
    fmix = rng.gamma(12.0 * FAN_KINDS[None, :] + 1e-3, size=(N, N_KINDS))
    fan_total = 0
    for kd_, gid, idx in groups:
        if kd_ != 1:
            continue
        pp = posts.page_posts(fan_pages[gid])
        pp = pp[posts.pub[pp] < T_END]
        S = len(idx)
        lo, hi = cfg["fan_delay"]
        md = log_uniform(rng, lo, hi, S)
        sd = rng.uniform(*cfg["fan_sigma"], S)
        m_ = cfg["fan_part_mean"]
        part = rng.beta(5 * m_, 5 * (1 - m_), S)
        mem = np.repeat(np.arange(S), len(pp))
        po = np.tile(pp, S)
        keep = rng.random(len(mem)) < part[mem]
        mem, po = mem[keep], po[keep]
        t = posts.pub[po] + rng.lognormal(np.log(md[mem]), sd[mem]).astype(np.int64)
        lr = local[idx[mem]]
        hr = np.clip(t, 0, T_END - 1) // HOUR % 24
        w = P["W"][lr, hr] / P["W"][lr].max(1)
        asleep = rng.random(len(mem)) > np.sqrt(w)
        if asleep.any():
            t[asleep] = next_session(rng, P, lr[asleep], t[asleep])
        ok = t >= 0
        mem, po, t = mem[ok], po[ok], t[ok]
        cm_ = to_cum(fmix[idx])
        kk = sample_rows(rng, cm_, mem).astype(np.int8)
        add(idx[mem], po, t, kk)
        fan_total += len(mem)
    log(f"fan reactions: {fan_total}")

    # template bots: one prototype script per group, replayed by every member
    dgroups = [(gid, idx) for kd_, gid, idx in groups if kd_ == 4]
    if dgroups:
        G = len(dgroups)
        Lg = np.clip(np.round(np.exp(rng.normal(np.log(60.0), 0.7, G))), 15, 600).astype(np.int64)
        PT = draw_genuine(rng, G, Lg, posts, None, kinds=SCRIPT_KINDS, scripted=True)
        gen_sessions(rng, PT)
        tr, tp, tt, tk = gen_actions(rng, PT, posts)
        toff = np.concatenate([[0], np.cumsum(np.bincount(tr, minlength=G))])
        for gid, idx in dgroups:
            a, b = toff[gid], toff[gid + 1]
            L = b - a
            exact = rng.random() < cfg["dup_exact"]
            jit = 0.0 if exact else log_uniform(rng, *cfg["dup_jitter"])
            skip = 0.0 if exact else rng.uniform(*cfg["dup_skip"])
            S = len(idx)
            mem = np.repeat(np.arange(S), L)
            j = np.tile(np.arange(a, b), S)
            keep = rng.random(len(j)) >= skip
            mem, j = mem[keep], j[keep]
            t = tt[j].astype(np.int64)
            if jit > 0:
                t = t + np.round(rng.normal(0, jit, len(j))).astype(np.int64)
                t = np.clip(t, posts.pub[tp[j]] + 1, T_END - 1)
            add(idx[mem], tp[j], t, tk[j])
    log("template replays done")

    acc = np.concatenate(A_acc)
    post = np.concatenate(A_post)
    tt = np.concatenate(A_t)
    kk = np.concatenate(A_kind)
    del A_acc[:], A_post[:], A_t[:], A_kind[:]
    # an account whose actions all fell outside the window still did something: one view
    missing = np.flatnonzero(np.bincount(acc, minlength=N) == 0)
    if len(missing):
        tm = rng.integers(HOUR, T_END, len(missing))
        d = rng.lognormal(np.log(3 * HOUR), 1.0, len(missing)).astype(np.int64)
        pm = posts.feed_pick(rng, tm - d, tm)
        pm = np.where(pm < 0, 0, pm)
        tm = np.maximum(tm, posts.pub[pm])
        acc = np.concatenate([acc, missing.astype(np.int32)])
        post = np.concatenate([post, pm.astype(np.int32)])
        tt = np.concatenate([tt, tm.astype(np.int32)])
        kk = np.concatenate([kk, np.zeros(len(missing), np.int8)])
    log(f"action log: {len(acc)} actions ({len(missing)} accounts topped up)")
    F = aggregate(N, acc, post.astype(np.int64), tt.astype(np.int64), kk.astype(np.int64), posts)
    log("aggregated")
    out = (F.astype(np.float32), kindv, farm, dup, comm, meta, len(acc))
    return out + ((acc, post, tt, kk),) if keep_log else out


def unique_ids(rng, n):
    out = np.zeros(0, np.int64)
    while len(out) < n:
        c = rng.integers(100_000_000, 1_000_000_000, int(n * 1.1) + 16)
        c = np.concatenate([out, c])
        _, first = np.unique(c, return_index=True)
        out = c[np.sort(first)]
    return rng.permutation(out[:n])


def write(path, F, kindv, farm, dup, comm, seed, setting, generator, rng, feature_names=None):
    N = len(F)
    perm = rng.permutation(N)
    ids = unique_ids(rng, N)
    with h5py.File(path, "w") as f:
        f.attrs["generator"] = generator
        f.attrs["seed"] = int(seed)
        f.attrs["setting"] = setting
        ds = f.create_dataset("/accounts/features", data=F[perm], dtype=np.float32,
                              chunks=(min(N, 16384), F.shape[1]))
        if feature_names is not None:
            ds.attrs["feature_names"] = np.array(feature_names, dtype=h5py.string_dtype())
        f.create_dataset("/accounts/id", data=ids, dtype=np.int64)
        f.create_dataset("/truth/farm", data=farm[perm], dtype=np.int64)
        f.create_dataset("/truth/dup_group", data=dup[perm], dtype=np.int64)
        f.create_dataset("/truth/kind", data=kindv[perm], dtype=np.int32)
        f.create_dataset("/truth/community", data=comm[perm], dtype=np.int64)
    return perm, ids


def write_actions(path, actions, account_id, kindv, farm, dup, comm, seed, setting,
                  chunk=1 << 20):
    """The raw action log (see --actions-out); account_id[i] is the id of account index i."""
    acc, post, t, kind = actions
    M = len(acc)
    order = np.random.default_rng([seed, 0xAC7105, 0xAC710]).permutation(M)
    cols = (("account", np.int64, lambda o: account_id[acc[o]]),
            ("target", np.int64, lambda o: post[o]),
            ("time", np.int64, lambda o: t[o].astype(np.int64) + EPOCH),
            ("kind", np.int32, lambda o: kind[o]))
    with h5py.File(path, "w") as f:
        f.attrs["generator"] = "actionlog"
        f.attrs["seed"] = int(seed)
        f.attrs["setting"] = setting
        f.attrs["epoch"] = EPOCH
        ds = {name: f.create_dataset(f"/actions/{name}", shape=(M,), dtype=dt,
                                     chunks=(max(1, min(M, chunk)),))
              for name, dt, _ in cols}
        for s in range(0, M, chunk):
            o = order[s:s + chunk]
            for name, dt, get in cols:
                ds[name][s:s + len(o)] = get(o).astype(dt)
        srt = np.argsort(account_id)
        f.create_dataset("/truth/account", data=account_id[srt], dtype=np.int64)
        f.create_dataset("/truth/kind", data=kindv[srt], dtype=np.int32)
        f.create_dataset("/truth/campaign", data=farm[srt], dtype=np.int64)  # -1 off kinds 2, 3
        f.create_dataset("/truth/dup_group", data=dup[srt], dtype=np.int64)
        f.create_dataset("/truth/community", data=comm[srt], dtype=np.int64)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--setting", default="default", choices=sorted(SETTINGS))
    ap.add_argument("--actions-out", metavar="PATH",
                    help="also write the raw action log (input of `unfriend lockstep`) and truth")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    t0 = time.time()
    F, kindv, farm, dup, comm, meta, n_actions, *log = build(a.rows, a.seed, a.setting,
                                                             not a.quiet, bool(a.actions_out))
    if not np.isfinite(F).all() or (np.abs(F).sum(1) == 0).any():
        raise SystemExit("internal error: non-finite or all-zero rows")
    perm, ids = write(a.output, F, kindv, farm, dup, comm, a.seed, a.setting, "actionlog",
                      np.random.default_rng([a.seed, 0x5EED]), FEATURE_NAMES)
    if a.actions_out:
        del F
        account_id = np.empty(len(ids), np.int64)
        account_id[perm] = ids  # row j of OUT.h5 is account perm[j], with id ids[j]
        write_actions(a.actions_out, log[0], account_id, kindv, farm, dup, comm, a.seed,
                      a.setting)
    if not a.quiet:
        names = ["genuine", "dense_genuine", "click_farm", "mass_report", "near_duplicate"]
        cnt = np.bincount(kindv, minlength=5)
        print(f"actionlog setting={a.setting} seed={a.seed} rows={a.rows} actions={n_actions} "
              f"time={time.time() - t0:.1f}s -> {a.output}"
              + (f" (action log -> {a.actions_out})" if a.actions_out else ""), file=sys.stderr)
        print("  " + ", ".join(f"{nm}={c}" for nm, c in zip(names, cnt)), file=sys.stderr)
        for m in meta:
            print("  " + " ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                                  for k, v in m.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
