#!/usr/bin/env python3
"""uninformative: a world whose features do NOT reveal the planted networks (a null world).

Story
-----
Accounts are watched for 28 days. Every account belongs to one of ~48 genuine LIFESTYLES (with
heavy-tailed popularity); a lifestyle is a combination of latent traits: chronotype, engagement
style (lurker, liker, commenter, creator, messenger), topic persona, device habit, social reach,
account age and activity level. Each account draws its own parameters around its lifestyle's
(wide individual spread), then COUNTS are drawn (negative-binomial total events split
multinomially over hour bins, action types and topics, binomial weekend events, ...), and a data
team aggregates them into 40 features of deliberately mixed scales (shares, log counts, raw
minutes, integer counts, binary flags).

Ground truth:
  0 genuine        the lifestyle mixture.
  1 dense_genuine  a few genuine communities (a club, a school, a town group; 50-2000 members):
                   members share one lifestyle and lean mildly toward a community topic, with the
                   usual individual spread: no denser than any lifestyle.
  2 click_farm     "farms" (20-5000 accounts) and
  3 mass_report    "mass-reporting networks" (20-1000): labelled in the truth, but every member's
                   feature vector is an independent draw from the very same genuine mixture. The
                   features carry no trace of them; a correct detector flags (almost) nothing.
  near_duplicate: none (dup_group is -1 everywhere).

CLI: python bench/worlds/uninformative.py -o OUT.h5 --rows 200000 --seed 1 [--setting default]
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from actionlog import partition, write  # noqa: E402  (shared helpers: group sizes, HDF5 output)

N_DAYS = 28
FEATURE_NAMES = (
    [f"hour3_share_{3 * b:02d}_{3 * b + 3:02d}" for b in range(8)]
    + [f"log_count_{a}" for a in ("view", "like", "comment", "share", "post", "message")]
    + [f"topic_share_{t}" for t in ("news", "sport", "music", "family", "gaming", "food",
                                    "politics", "fashion")]
    + ["log_account_age_days", "log_followers", "log_following", "active_days", "log_sessions",
       "mean_session_minutes", "mobile_share", "distinct_devices", "weekend_share",
       "log_distinct_pages", "profile_completeness", "has_avatar", "email_verified",
       "log_mean_gap_s", "hour_entropy", "log_likes_received", "log_messages_received",
       "notification_share"]
)
assert len(FEATURE_NAMES) == 40

# chronotypes over 8 three-hour bins (00-03, 03-06, ..., 21-24)
CHRONO = np.array([
    [0.3, 0.1, 1.5, 2.0, 2.0, 2.0, 3.0, 2.0],   # regular daytime
    [2.5, 1.0, 0.2, 0.5, 1.0, 1.5, 3.0, 4.0],   # night owl
    [0.1, 0.8, 4.0, 2.5, 1.5, 1.5, 1.5, 0.5],   # early bird
    [1.5, 2.5, 1.0, 0.3, 0.5, 1.5, 2.0, 2.0],   # night shift
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],   # irregular
    [0.3, 0.1, 1.0, 1.0, 3.0, 1.0, 3.5, 1.5],   # lunch and evening peaks
])
# engagement styles over view, like, comment, share, post, message
STYLE = np.array([
    [90, 8, 1, 0.5, 0.2, 0.3],    # lurker
    [60, 30, 4, 3, 1, 2],         # liker
    [50, 20, 20, 4, 2, 4],        # commenter
    [40, 20, 10, 8, 15, 7],       # creator
    [35, 10, 5, 3, 2, 45],        # messenger
])
N_TOPICS = 8


def draw_lifestyles(rng, L):
    ls = {
        "chrono": rng.integers(0, len(CHRONO), L),
        "style": rng.integers(0, len(STYLE), L),
        "topic": rng.dirichlet(np.full(N_TOPICS, 0.4), L) * 0.85 + 0.15 / N_TOPICS,
        "rate": np.exp(rng.normal(np.log(4.0), 1.0, L)),        # events/day, lifestyle mean
        "mobile": rng.beta(2, 2, L),
        "reach": rng.normal(0.0, 0.8, L),                         # log social reach offset
        "age": rng.normal(np.log(700.0), 0.7, L),                 # log account age (days)
        "sess_min": np.exp(rng.normal(np.log(8.0), 0.6, L)),
        "weekend": rng.uniform(0.6, 1.8, L),                      # weekend activity factor
        "complete": rng.beta(3, 2, L),
        "notif": rng.beta(2, 5, L),
    }
    w = rng.pareto(1.5, L) + 1.0
    ls["p"] = w / w.sum()
    return ls


def draw_accounts(rng, ls, life, topic_pull=None):
    """Genuine feature rows for accounts of lifestyles `life` (with optional topic pull)."""
    n = len(life)
    conc = np.exp(rng.normal(np.log(12.0), 0.4, n))
    hour_p = rng.gamma(CHRONO[ls["chrono"][life]] / CHRONO[ls["chrono"][life]].sum(1, keepdims=True)
                       * conc[:, None] + 0.05)
    hour_p /= hour_p.sum(1, keepdims=True)
    st = STYLE[ls["style"][life]]
    act_p = rng.gamma(st / st.sum(1, keepdims=True) * conc[:, None] * 1.5 + 0.02)
    act_p /= act_p.sum(1, keepdims=True)
    tp = ls["topic"][life]
    if topic_pull is not None:
        tp = 0.8 * tp + 0.2 * topic_pull
    top_p = rng.gamma(tp * conc[:, None] + 0.02)
    top_p /= top_p.sum(1, keepdims=True)
    rate = ls["rate"][life] * np.exp(rng.normal(0.0, 1.0, n))
    dormant = rng.random(n) < 0.08
    rate[dormant] *= rng.uniform(0.005, 0.05, dormant.sum())
    lam = rate * N_DAYS * rng.gamma(3.0, 1 / 3.0, n)
    E = rng.poisson(lam)
    E = np.maximum(E, 1)
    hours = rng.multinomial(E, hour_p)
    acts = rng.multinomial(E, act_p)
    topics = rng.multinomial(E, top_p)
    wk = np.clip(ls["weekend"][life] * np.exp(rng.normal(0, 0.3, n)), 0.05, 5.0)
    p_weekend = 2 * wk / (5 + 2 * wk)
    weekend = rng.binomial(E, p_weekend)
    age = np.exp(ls["age"][life] + rng.normal(0.0, 1.0, n))
    age = np.clip(age, 1.0, 6000.0)
    age_d = np.floor(age) + 1
    obs_days = np.minimum(age_d, N_DAYS)
    daily = E / obs_days
    p_act = 1 - np.exp(-daily * rng.uniform(0.3, 1.0, n))
    active = np.clip(rng.binomial(obs_days.astype(np.int64), p_act), 1, np.minimum(obs_days, E))
    eps = np.exp(rng.normal(np.log(6.0), 0.7, n))
    sessions = np.clip(1 + rng.poisson(E / eps), 1, E)
    sessions = np.maximum(sessions, active)
    sess_min = ls["sess_min"][life] * np.exp(rng.normal(0, 0.5, n)) * (E / sessions) ** 0.3
    mobile = rng.beta(1 + 8 * ls["mobile"][life], 1 + 8 * (1 - ls["mobile"][life]))
    devices = 1 + rng.poisson(0.3 + 0.3 * np.log1p(E / 50), n)
    breadth = np.exp(rng.normal(0.0, 0.5, n))
    pages = np.minimum(E, 1 + rng.poisson(np.power(E, 0.7) * breadth))
    reach = ls["reach"][life] + rng.normal(0, 1.1, n) + 0.25 * np.log1p(age_d / 30) \
        + 0.2 * np.log1p(acts[:, 4])
    followers = rng.poisson(np.exp(np.log(80.0) + reach))
    following = rng.poisson(np.exp(np.log(120.0) + 0.5 * reach + rng.normal(0, 0.8, n)))
    completeness = rng.binomial(8, np.clip(ls["complete"][life] + rng.normal(0, 0.15, n), 0.02, 0.98)) / 8
    avatar = (rng.random(n) < 0.35 + 0.6 * completeness).astype(np.float64)
    email = (rng.random(n) < 0.55 + 0.3 * completeness).astype(np.float64)
    gap = obs_days * 86400.0 / (E + 1) * np.exp(rng.normal(0, 0.35, n))
    hs = hours / E[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -np.where(hs > 0, hs * np.log(hs), 0.0).sum(1) / np.log(8)
    likes_rx = rng.poisson((acts[:, 4] + 0.2) * np.exp(0.6 * reach) * 3.0)
    msg_rx = rng.poisson((acts[:, 5] + 0.5) * np.exp(rng.normal(0, 0.5, n)))
    notif = rng.beta(1 + 10 * ls["notif"][life], 1 + 10 * (1 - ls["notif"][life]))
    F = np.column_stack([
        hs, np.log1p(acts), topics / E[:, None],
        np.log1p(age_d), np.log1p(followers), np.log1p(following), active, np.log1p(sessions),
        sess_min, mobile, devices, weekend / E, np.log1p(pages), completeness, avatar, email,
        np.log(gap), ent, np.log1p(likes_rx), np.log1p(msg_rx), notif,
    ])
    assert F.shape[1] == 40
    return F


def build(rows, seed, verbose=True):
    rng = np.random.default_rng([seed, 0x0F1A7])
    N = int(rows)
    comm_sizes = partition(rng, 0.04 * N, 50, 2000)
    farm_sizes = partition(rng, 0.04 * N, 20, 5000)
    mr_sizes = partition(rng, 0.01 * N, 20, 1000)
    ls = draw_lifestyles(rng, 48)
    kindv = np.zeros(N, np.int32)
    farm = np.full(N, -1, np.int64)
    dup = np.full(N, -1, np.int64)
    comm = np.full(N, -1, np.int64)
    F = np.empty((N, 40), np.float64)
    pos = N - sum(comm_sizes) - sum(farm_sizes) - sum(mr_sizes)
    # genuine accounts, and farm / mass-report members: the very same draw
    life = rng.choice(len(ls["p"]), N, p=ls["p"])
    others = np.r_[np.arange(pos), np.arange(pos + sum(comm_sizes), N)]
    F[others] = draw_accounts(rng, ls, life[others])
    p = pos
    for c, s in enumerate(comm_sizes):
        idx = np.arange(p, p + s)
        p += s
        lc = rng.choice(len(ls["p"]), p=ls["p"])
        pull = np.eye(N_TOPICS)[rng.integers(0, N_TOPICS)]
        F[idx] = draw_accounts(rng, ls, np.full(s, lc), topic_pull=pull)
        kindv[idx] = 1
        comm[idx] = c
    gid = 0
    for kd, sizes in ((2, farm_sizes), (3, mr_sizes)):
        for s in sizes:
            idx = np.arange(p, p + s)
            p += s
            kindv[idx] = kd
            farm[idx] = gid
            gid += 1
    assert p == N
    return F.astype(np.float32), kindv, farm, dup, comm


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--setting", default="default", choices=["default"])
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    t0 = time.time()
    F, kindv, farm, dup, comm = build(a.rows, a.seed)
    if not np.isfinite(F).all() or (np.abs(F).sum(1) == 0).any():
        raise SystemExit("internal error: non-finite or all-zero rows")
    write(a.output, F, kindv, farm, dup, comm, a.seed, a.setting, "uninformative",
          np.random.default_rng([a.seed, 0x5EED]), FEATURE_NAMES)
    if not a.quiet:
        names = ["genuine", "dense_genuine", "click_farm", "mass_report", "near_duplicate"]
        cnt = np.bincount(kindv, minlength=5)
        print(f"uninformative seed={a.seed} rows={a.rows} time={time.time() - t0:.1f}s -> "
              f"{a.output}", file=sys.stderr)
        print("  " + ", ".join(f"{nm}={c}" for nm, c in zip(names, cnt)), file=sys.stderr)


if __name__ == "__main__":
    main()
