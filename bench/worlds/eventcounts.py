#!/usr/bin/env python3
"""eventcounts: a synthetic world of per-account features built from simulated event COUNTS.

Written independently of unfriend's own synthetic generator, to judge the detector on data whose
generative story its authors did not write.

Story
-----
Every account is watched for W = 28 days (day 0 is a Monday).  It has a latent activity process:
a daily rate (events/day), day weights (weekday/weekend habits, day-to-day volatility, vacations,
account created inside the window), an hour-of-day profile, an action-type mix and a
target-category mix.  We draw COUNTS from it: daily counts ~ Poisson(rate x day weight) (a gamma
day-noise makes them negative binomial), and hour / action / target tables ~ Multinomial(total,
profile).  A platform data team then aggregates the counts into 80 features, so low-volume
accounts are noisy in exactly the way real aggregates are.

Features (80 columns, float32, scales deliberately mixed):
  0-23  hour-of-day shares (platform time)         24-30 day-of-week shares (Mon..Sun)
  31-38 action shares: view like comment share follow post message report
  39-58 target-category shares (20 categories, see CATS)
  59 log1p(account age days)   60 log1p(followers)   61 log1p(following)
  62 log((followers+1)/(following+1))   63 profile completeness (filled fields / 8)
  64 has avatar   65 email verified   66 phone verified   67 log1p(events/day)
  68 log1p(posts/day)   69 active days (0..28)   70 peak-day share of events
  71 log1p(sessions)   72 log1p(events/session)   73 mean session length (minutes, raw)
  74 log(mean inter-event gap, s)   75 gap CV (sample of <= 48 gaps)   76 hour entropy / log 24
  77 mobile share of events   78 distinct devices (count)   79 log1p(distinct pages)

Populations (kind codes as in /truth/kind)
  0 genuine (~90%): time zones, chronotypes (regular, owl, early bird, night-shift, irregular),
    heavy-tailed volume (10% near-dormant), action styles (lurker, engaged, creator, messenger,
    vigilant reporter), interests from a Dirichlet over personas, independent metadata.
  1 dense_genuine: fan communities (50-3000): genuine accounts whose target mix is pulled toward
    one focal category (+ a secondary); a per-community share of events at a shared event time
    (match day/hour), a mild action tilt (likes/shares), a bit more following; in some settings a
    "join wave" (many members created around one date).  Everything else is ordinary genuine.
  2 click_farm (20-5000 per farm): 1-3 shift cells (6-12 h plateau with a break), work week,
    shared daily demand, quota volume, like/follow action mix, customers' categories and few
    pages, batch-created metadata, low completeness, phone- or browser-farm devices, long regular
    sessions, low gap CV.  Per-farm tightness kappa (Dirichlet concentration of member profiles
    around the farm template; metadata spreads grow as kappa falls).  Camouflage: member share c
    of events comes from a genuine-like profile (c ~ U(0, camo_max) per farm, x U(0.6,1.4) per
    member), and each metadata field is, with probability c, that genuine profile's value.
  3 mass_report (20-1000): like farms, but reports dominate the action mix, targets are
    politics/activism/news (+1), activity bursts on 2-6 campaign days at campaign hours with
    per-member participation, bursty gaps; some members are bought aged accounts.
  4 near_duplicate: template groups (5-200): one high-volume automation template (cron hours,
    post/share/comment/message mix); a share of members are exact copies, the rest differ by
    small Skellam noise on every count cell and tiny metadata noise.

Settings (knobs)
  frac_*          population shares of dense/farm/mass/dup (rest genuine)
  *_size          (min, max) group sizes, drawn log-uniform until the share is spent
  farm_kappa      (lo, hi) log-uniform per-network tightness (total Dirichlet concentration)
  camo_max        max per-network camouflage share c
  comm_focus      (lo, hi) mean share of a fan's events on the community's focal categories
  comm_conc       Beta concentration of members' focus around the community mean
  comm_event      (lo, hi) community share of events at the shared event hour/day
  comm_tilt       (lo, hi) community action tilt toward likes/shares
  comm_wave       probability that a community has a join wave
  dup_exact       (lo, hi) per-group share of exact copies
  dup_noise       Skellam rate per count cell for near duplicates
  easy    : little camouflage, tight farms, loose communities
  default : as the brief
  hard    : more camouflage (<= 0.45), smaller and looser farms, more and tighter communities

CLI: python bench/worlds/eventcounts.py -o OUT.h5 --rows 200000 --seed 1 [--setting default]
"""
import argparse
import sys
import time

import h5py
import numpy as np

W = 28
HOURS = np.arange(24) + 0.5
DOW_OF_DAY = np.arange(W) % 7
CATS = ["news", "politics", "activism", "sports", "music", "celebrities", "gaming", "fashion",
        "beauty", "food", "travel", "tech", "finance", "parenting", "pets", "humor", "fitness",
        "cars", "art", "local"]
CI = {c: i for i, c in enumerate(CATS)}
ACTS = ["view", "like", "comment", "share", "follow", "post", "message", "report"]
AI = {a: i for i, a in enumerate(ACTS)}
NC, NA = len(CATS), len(ACTS)
POP = np.array([8, 5, 2, 8, 8, 6, 6, 5, 4, 6, 4, 5, 3, 4, 5, 8, 4, 3, 3, 3], float)
POP /= POP.sum()


def _persona(d):
    v = np.zeros(NC)
    for k, x in d.items():
        v[CI[k]] = x
    return v / v.sum()


PERSONAS = np.stack([
    _persona({"sports": .4, "cars": .2, "fitness": .2, "news": .1, "local": .1}),
    _persona({"fashion": .3, "beauty": .3, "celebrities": .25, "music": .15}),
    _persona({"news": .35, "politics": .3, "finance": .2, "local": .15}),
    _persona({"gaming": .4, "tech": .3, "humor": .3}),
    _persona({"parenting": .3, "food": .3, "pets": .25, "local": .15}),
    _persona({"music": .35, "art": .3, "celebrities": .15, "travel": .2}),
])
TZ_OFF = np.array([0, 1, -5, -8, 3, 5.5, 8, -3], float)
TZ_W = np.array([.40, .15, .15, .07, .06, .07, .07, .03])
# genuine action styles: lurker, engaged, creator, messenger, vigilant reporter
ACT_MEANS = np.array([
    [.70, .15, .03, .03, .03, .02, .04, .001],
    [.45, .30, .08, .06, .04, .03, .04, .001],
    [.35, .20, .15, .08, .04, .12, .06, .001],
    [.40, .15, .05, .03, .02, .02, .33, .001],
    [.45, .20, .10, .05, .04, .03, .05, .06],
])
ACT_MEANS /= ACT_MEANS.sum(1, keepdims=True)
FAN_TILT = np.array([.30, .45, .10, .15, 0, 0, 0, 0])
COMMUNITY_TYPES = [("sports", ["cars", "fitness", "local"]),
                   ("celebrities", ["fashion", "music", "beauty"]),
                   ("music", ["celebrities", "art"]), ("gaming", ["tech", "humor"]),
                   ("activism", ["politics", "news"]), ("local", ["news", "food"]),
                   ("pets", ["parenting", "humor"]), ("fitness", ["food", "sports"]),
                   ("politics", ["news", "activism"])]

SETTINGS = {
    "easy": dict(frac_dense=0.03, frac_farm=0.03, frac_mass=0.01, frac_dup=0.01,
                 comm_size=(50, 3000), farm_size=(50, 5000), mass_size=(50, 1000),
                 dup_size=(5, 200), farm_kappa=(200, 3000), camo_max=0.1,
                 comm_focus=(0.35, 0.6), comm_conc=5.0, comm_event=(0.0, 0.08),
                 comm_tilt=(0.0, 0.1), comm_wave=0.0, dup_exact=(0.0, 0.5), dup_noise=0.3),
    "default": dict(frac_dense=0.04, frac_farm=0.03, frac_mass=0.01, frac_dup=0.01,
                    comm_size=(50, 3000), farm_size=(20, 5000), mass_size=(20, 1000),
                    dup_size=(5, 200), farm_kappa=(30, 3000), camo_max=1 / 3,
                    comm_focus=(0.45, 0.75), comm_conc=8.0, comm_event=(0.0, 0.15),
                    comm_tilt=(0.0, 0.15), comm_wave=0.15, dup_exact=(0.0, 0.5),
                    dup_noise=0.5),
    "hard": dict(frac_dense=0.06, frac_farm=0.03, frac_mass=0.01, frac_dup=0.01,
                 comm_size=(50, 3000), farm_size=(20, 1500), mass_size=(20, 400),
                 dup_size=(5, 200), farm_kappa=(15, 800), camo_max=0.45,
                 comm_focus=(0.6, 0.9), comm_conc=20.0, comm_event=(0.05, 0.3),
                 comm_tilt=(0.1, 0.3), comm_wave=0.5, dup_exact=(0.0, 0.3), dup_noise=1.0),
}

SPEC_P = ["P_hour", "P_act", "P_tgt"]
SPEC_META = ["age", "followers", "following", "compl", "avatar", "email", "phone", "mobile_p",
             "devices"]


def logu(rng, lo, hi, size=None):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size))


def dirichlet(rng, alpha):
    alpha = np.maximum(np.asarray(alpha, float), 1e-4)
    g = rng.gamma(alpha)
    s = g.sum(-1, keepdims=True)
    bad = s[..., 0] <= 0
    if bad.any():
        g[bad] = alpha[bad]
        s = g.sum(-1, keepdims=True)
    return g / s


def vm(centres, kappa):
    """von Mises bump(s) on the 24 h circle; centres, kappa broadcast against (.., 24)."""
    return np.exp(kappa * (np.cos(2 * np.pi * (HOURS - centres) / 24.0) - 1.0))


def norm_rows(x):
    return x / x.sum(-1, keepdims=True)


def day_mean1(D):
    return D / D.mean(1, keepdims=True)


# --------------------------------------------------------------------------- genuine
def gen_genuine(rng, n):
    tz = rng.choice(TZ_OFF, n, p=TZ_W)
    life = rng.choice(5, n, p=[.66, .14, .04, .12, .04])  # regular owl nightshift irregular early
    shift = rng.normal(0, 1.0, n)
    shift += np.select([life == 1, life == 2, life == 4],
                       [rng.uniform(2.5, 4, n), rng.uniform(9, 12, n), -rng.uniform(1, 2.5, n)], 0)
    centres = np.array([8.0, 12.5, 20.5]) + shift[:, None] + rng.normal(0, 0.7, (n, 3))
    centres -= tz[:, None]                                   # local -> platform time
    kap = np.array([3.0, 5.0, 2.5]) * rng.uniform(0.6, 1.5, (n, 1))
    kap[life == 3] *= 0.3
    w = dirichlet(rng, np.tile([1.5, 1.2, 3.0], (n, 1)))
    prof = (w[:, :, None] * vm(centres[:, :, None], kap[:, :, None])).sum(1) + 0.02
    P_hour = norm_rows(prof * rng.gamma(30, 1 / 30, (n, 24)))

    dw = np.ones((n, 7))
    dw[:, 5:] *= rng.lognormal(0, 0.35, (n, 1))
    dw *= rng.gamma(15, 1 / 15, (n, 7))
    kd = rng.lognormal(np.log(1.5), 0.5, (n, 1))
    D = dw[:, DOW_OF_DAY] * rng.gamma(kd, 1 / kd, (n, W))
    vac = rng.random(n) < 0.08
    vs, vl = rng.integers(0, W - 3, n), rng.integers(3, 11, n)
    d = np.arange(W)
    D[vac[:, None] & (d >= vs[:, None]) & (d < (vs + vl)[:, None])] *= 0.02

    dormant = rng.random(n) < 0.10
    lam = np.where(dormant, rng.lognormal(np.log(0.25), 0.8, n), rng.lognormal(np.log(12), 1.2, n))
    lam = np.clip(lam, 0.03, 3000)

    style = rng.choice(5, n, p=[.40, .35, .10, .13, .02])
    P_act = dirichlet(rng, rng.lognormal(np.log(25), 0.4, (n, 1)) * ACT_MEANS[style])
    pm = dirichlet(rng, np.full((n, 6), 0.5))
    base = 0.6 * pm @ PERSONAS + 0.4 * POP
    P_tgt = dirichlet(rng, rng.lognormal(np.log(0.8), 0.5, (n, 1)) * NC * base)

    new = rng.random(n) < 0.12
    age = np.where(new, 1 + rng.exponential(60, n), np.exp(rng.uniform(np.log(60), np.log(5500), n)))
    fol_mu = 2.3 + 0.6 * np.log1p(age / 90) + 0.35 * np.log(lam / 12) + 1.2 * (style == 2)
    followers = np.minimum(rng.poisson(np.exp(rng.normal(fol_mu, 1.2))), 5_000_000)
    following = np.minimum(rng.poisson(np.exp(rng.normal(4.6 + 0.25 * np.log1p(age / 90), 1.0))), 7500)
    comp_p = rng.beta(4, 1.8, n)
    spec = dict(
        P_hour=P_hour, D=D, P_act=P_act, P_tgt=P_tgt, lam=lam,
        B=rng.lognormal(np.log(25), 0.8, n),
        sess_rate=np.clip(rng.lognormal(np.log(1.5) + 0.3 * np.log(lam / 12), 0.5), 0.1, 40),
        sess_L=rng.lognormal(np.log(9), 0.8, n), sess_k=np.full(n, 0.8),
        gap_sigma=rng.uniform(1.1, 2.0, n),
        age=age, followers=followers.astype(float), following=following.astype(float),
        compl=rng.binomial(8, comp_p).astype(float),
        avatar=(rng.random(n) < 0.3 + 0.65 * comp_p).astype(float),
        email=(rng.random(n) < 0.92).astype(float), phone=(rng.random(n) < 0.55).astype(float),
        mobile_p=np.where(rng.random(n) < 0.7, rng.beta(9, 1.5, n), rng.beta(2, 3, n)),
        devices=(1 + rng.poisson(0.3 + 0.4 * np.log1p(age / 365))).astype(float),
    )
    spec["gap_alt"] = spec["gap_sigma"].copy()
    spec["c_gap"] = np.zeros(n)
    return spec


# --------------------------------------------------------------------------- communities
def apply_community(rng, S, sl, cfg):
    m = sl.stop - sl.start
    focal, secs = COMMUNITY_TYPES[rng.integers(len(COMMUNITY_TYPES))]
    F = np.zeros(NC)
    wsec = rng.uniform(0.05, 0.3)
    F[CI[focal]] = 1 - wsec
    F[CI[secs[rng.integers(len(secs))]]] += wsec
    mf = rng.uniform(*cfg["comm_focus"])
    s = rng.beta(cfg["comm_conc"] * mf, cfg["comm_conc"] * (1 - mf), m)[:, None]
    S["P_tgt"][sl] = s * F + (1 - s) * S["P_tgt"][sl]
    bc = rng.uniform(*cfg["comm_event"])
    if bc > 0:
        h0, d0 = rng.uniform(0, 24), rng.integers(7)
        b = np.clip(bc * rng.uniform(0.3, 1.7, m), 0, 0.6)[:, None]
        bump = vm(h0, 8.0)
        S["P_hour"][sl] = (1 - b) * S["P_hour"][sl] + b * bump / bump.sum()
        S["D"][sl][:, DOW_OF_DAY == d0] *= 1 + 6 * b
    t = rng.uniform(*cfg["comm_tilt"])
    S["P_act"][sl] = (1 - t) * S["P_act"][sl] + t * FAN_TILT
    S["following"][sl] = np.minimum(np.round(S["following"][sl] * rng.lognormal(0.3, 0.3, m)), 7500)
    if rng.random() < cfg["comm_wave"]:
        sel = rng.random(m) < rng.uniform(0.3, 0.7)
        wave = logu(rng, 60, 2000)
        S["age"][sl][sel] = np.maximum(1, wave + rng.normal(0, 15, sel.sum()))


# --------------------------------------------------------------------------- coordinated networks
def mix_into(rng, S, sl, G, c):
    """Member row = (1-c) network behaviour + c genuine-like behaviour (the base rows in S)."""
    m = sl.stop - sl.start
    cc = c[:, None]
    for k in SPEC_P:
        S[k][sl] = (1 - cc) * G[k] + cc * S[k][sl]
    S["D"][sl] = (1 - cc) * day_mean1(G["D"]) + cc * day_mean1(S["D"][sl])
    S["lam"][sl] = G["lam"] / (1 - c)
    S["B"][sl] = np.exp((1 - c) * np.log(G["B"]) + c * np.log(S["B"][sl]))
    S["sess_rate"][sl] = (1 - c) * G["sess_rate"] + c * S["sess_rate"][sl]
    S["sess_L"][sl] = np.exp((1 - c) * np.log(G["sess_L"]) + c * np.log(S["sess_L"][sl]))
    S["sess_k"][sl] = (1 - c) * G["sess_k"] + c * S["sess_k"][sl]
    S["gap_alt"][sl] = S["gap_sigma"][sl]
    S["gap_sigma"][sl] = G["gap_sigma"]
    S["c_gap"][sl] = c
    for k in SPEC_META:
        keep_genuine = rng.random(m) < c
        S[k][sl] = np.where(keep_genuine, S[k][sl], G[k])


def looseness(kappa):
    return float(np.clip(np.log(3000 / kappa) / np.log(3000 / 10), 0, 1))


def camo(rng, cfg, m):
    return np.clip(rng.uniform(0, cfg["camo_max"]) * rng.uniform(0.6, 1.4, m), 0, 0.6)


def shared_meta(rng, m, u, n_batches, fol_mu, fing_mu):
    ba = logu(rng, 10, 900, n_batches)
    age = np.maximum(1, ba[rng.integers(n_batches, size=m)] + np.abs(rng.normal(0, 1 + 30 * u, m)))
    fol = rng.poisson(np.exp(rng.normal(fol_mu, 0.15 + 0.6 * u, m))).astype(float)
    fing = np.minimum(rng.poisson(np.exp(rng.normal(fing_mu, 0.1 + 0.4 * u, m))), 7500).astype(float)
    return age, fol, fing


def farm_spec(rng, m, cfg):
    kappa = logu(rng, *cfg["farm_kappa"])
    u = looseness(kappa)
    kf = lambda: kappa * rng.lognormal(0, 0.3)  # noqa: E731  per-facet tightness
    ncell = rng.choice([1, 2, 3], p=[.45, .35, .2])
    L = int(rng.choice([8, 8, 8, 6, 10, 12]))
    s0 = rng.integers(24)
    starts = (s0 + L * np.arange(ncell)) % 24 if rng.random() < 0.6 else rng.integers(0, 24, ncell)
    h = np.arange(24)
    prof = np.full((ncell, 24), 0.01)
    for i, st in enumerate(starts):
        on = (h - st) % 24 < L
        prof[i, on] = 1.0
        prof[i, (st + L // 2) % 24] = 0.5
    prof = norm_rows(prof)
    P_hour = dirichlet(rng, kf() * prof[rng.integers(ncell, size=m)])

    wk = rng.choice(3, p=[.5, .3, .2])
    work = np.ones(7)
    if wk == 1:
        work[rng.integers(7)] = 0.02
    elif wk == 2:
        work[5:] = 0.02
    ks = 5 + 60 * (1 - u)
    D = work[DOW_OF_DAY] * rng.gamma(3, 1 / 3, W) * rng.gamma(ks, 1 / ks, (m, W))
    lam = logu(rng, 15, 300) * rng.lognormal(0, 0.1 + 0.5 * u, m)

    t = np.zeros(NA)
    t[AI["like"]], t[AI["follow"]], t[AI["view"]] = rng.uniform(.45, .75), rng.uniform(.1, .35), rng.uniform(.05, .2)
    t[AI["share"]], t[AI["comment"]] = rng.uniform(0, .06), rng.uniform(0, .05)
    t[AI["post"]], t[AI["message"]], t[AI["report"]] = rng.uniform(0, .01), rng.uniform(0, .01), rng.uniform(0, .003)
    P_act = dirichlet(rng, kf() * np.tile(t / t.sum(), (m, 1)))

    nc = rng.integers(2, 7)
    cats = rng.choice(NC, nc, replace=False, p=POP)
    tt = 0.05 * POP.copy()
    tt[cats] += 0.95 * rng.dirichlet(np.ones(nc))
    P_tgt = dirichlet(rng, kf() * np.tile(tt, (m, 1)))

    age, fol, fing = shared_meta(rng, m, u, rng.integers(1, 5), rng.uniform(1.5, 4.5), rng.uniform(5.5, 7.8))
    phone_farm = rng.random() < 0.5
    sl = 0.1 + 0.3 * u
    return dict(
        P_hour=P_hour, D=D, P_act=P_act, P_tgt=P_tgt, lam=lam,
        B=rng.lognormal(np.log(3), 0.3, m),
        sess_rate=rng.uniform(1, 4) * rng.lognormal(0, sl, m),
        sess_L=rng.uniform(30, 120) * rng.lognormal(0, sl, m), sess_k=np.full(m, 4.0),
        gap_sigma=np.clip(rng.uniform(0.25, 0.6) + rng.normal(0, 0.03 + 0.1 * u, m), 0.1, None),
        age=age, followers=fol, following=fing,
        compl=rng.binomial(8, rng.uniform(0.1, 0.5), m).astype(float),
        avatar=(rng.random(m) < rng.uniform(0.2, 0.95)).astype(float),
        email=(rng.random(m) < 0.97).astype(float),
        phone=(rng.random(m) < rng.uniform(0.05, 0.5)).astype(float),
        mobile_p=rng.beta(60, 2, m) if phone_farm else rng.beta(2, 60, m),
        devices=(1 + rng.poisson(0.1, m)).astype(float),
    )


def mass_spec(rng, m, cfg, S, sl):
    kappa = logu(rng, *cfg["farm_kappa"])
    u = looseness(kappa)
    kf = lambda: kappa * rng.lognormal(0, 0.3)  # noqa: E731
    nk = rng.integers(2, 7)
    days = rng.choice(W, nk, replace=False)
    hk, kvm, Ik = rng.uniform(0, 24, nk), rng.uniform(6, 20, nk), rng.gamma(2, 1, nk)
    part = rng.random((m, nk)) < rng.uniform(0.6, 0.95)
    D = np.full((m, W), 0.05)
    for k in range(nk):
        D[:, days[k]] += part[:, k] * Ik[k] * 8
    D *= rng.gamma(5, 1 / 5, (m, W))
    th = (Ik[:, None] * vm(hk[:, None], kvm[:, None])).sum(0)
    th = 0.15 / 24 + 0.85 * th / th.sum()
    P_hour = dirichlet(rng, kf() * np.tile(th, (m, 1)))
    lam = logu(rng, 3, 40) * rng.lognormal(0, 0.2 + 0.5 * u, m)

    t = np.zeros(NA)
    t[AI["report"]], t[AI["view"]], t[AI["follow"]] = rng.uniform(.35, .7), rng.uniform(.1, .3), rng.uniform(.02, .08)
    t[AI["comment"]], t[AI["like"]], t[AI["share"]] = rng.uniform(.02, .1), rng.uniform(.02, .1), rng.uniform(0, .05)
    t[AI["post"]], t[AI["message"]] = rng.uniform(0, .02), rng.uniform(0, .03)
    P_act = dirichlet(rng, kf() * np.tile(t / t.sum(), (m, 1)))

    prim = [CI["politics"], CI["activism"], CI["news"]]
    cats = list(rng.choice(prim, rng.integers(1, 3), replace=False))
    if rng.random() < 0.5:
        cats.append(rng.choice([i for i in range(NC) if i not in cats]))
    tt = 0.05 * POP.copy()
    tt[cats] += 0.95 * rng.dirichlet(np.ones(len(cats)))
    P_tgt = dirichlet(rng, kf() * np.tile(tt, (m, 1)))

    age, fol, fing = shared_meta(rng, m, u, rng.integers(1, 4), rng.uniform(1.5, 4.0), rng.uniform(4.5, 6.5))
    aged = rng.random(m) < rng.uniform(0, 0.6)            # bought / hijacked aged accounts
    age = np.where(aged, S["age"][sl], age)
    fol = np.where(aged, S["followers"][sl], fol)
    fing = np.where(aged, S["following"][sl], fing)
    pm = rng.uniform(0.3, 0.9)
    return dict(
        P_hour=P_hour, D=D, P_act=P_act, P_tgt=P_tgt, lam=lam,
        B=rng.lognormal(np.log(4), 0.4, m),
        sess_rate=rng.uniform(0.5, 2) * rng.lognormal(0, 0.1 + 0.3 * u, m),
        sess_L=rng.uniform(5, 30) * rng.lognormal(0, 0.1 + 0.3 * u, m), sess_k=np.full(m, 1.5),
        gap_sigma=rng.uniform(2.0, 2.8) + rng.normal(0, 0.05 + 0.1 * u, m),
        age=age, followers=fol, following=fing,
        compl=rng.binomial(8, rng.uniform(0.3, 0.7), m).astype(float),
        avatar=(rng.random(m) < rng.uniform(0.5, 0.95)).astype(float),
        email=(rng.random(m) < 0.95).astype(float),
        phone=(rng.random(m) < rng.uniform(0.1, 0.6)).astype(float),
        mobile_p=rng.beta(10 * pm, 10 * (1 - pm), m),
        devices=(1 + rng.poisson(0.2, m)).astype(float),
    )


def template_spec(rng, g):
    S = gen_genuine(rng, g)
    for i in range(g):
        if rng.random() < 0.5:
            t = np.ones(24)
        else:
            t = np.full(24, 0.02)
            st, ln = rng.integers(24), rng.integers(6, 17)
            t[(np.arange(24) - st) % 24 < ln] = 1
        S["P_hour"][i] = dirichlet(rng, 300 * t / t.sum())
        a = np.zeros(NA)
        a[AI["post"]], a[AI["share"]], a[AI["comment"]] = rng.uniform(.2, .6), rng.uniform(.1, .3), rng.uniform(.05, .3)
        a[AI["message"]], a[AI["view"]], a[AI["like"]] = rng.uniform(0, .3), rng.uniform(0, .1), rng.uniform(0, .1)
        a[AI["follow"]] = rng.uniform(0, .05)
        S["P_act"][i] = dirichlet(rng, 200 * a / a.sum())
        nc = rng.integers(1, 4)
        tt = 0.02 * POP.copy()
        tt[rng.choice(NC, nc, replace=False, p=POP)] += rng.dirichlet(np.ones(nc))
        S["P_tgt"][i] = dirichlet(rng, 200 * tt / tt.sum())
    S["D"] = rng.gamma(50, 1 / 50, (g, W))
    S["lam"] = logu(rng, 20, 600, g)
    S["age"] = logu(rng, 5, 700, g)
    S["followers"] = rng.poisson(np.exp(rng.normal(2, 1, g))).astype(float)
    S["following"] = rng.poisson(np.exp(rng.normal(4, 1, g))).astype(float)
    S["compl"] = rng.binomial(8, rng.uniform(0.1, 0.9, g)).astype(float)
    S["avatar"] = (rng.random(g) < 0.6).astype(float)
    S["email"] = (rng.random(g) < 0.95).astype(float)
    S["phone"] = (rng.random(g) < 0.2).astype(float)
    S["mobile_p"] = rng.beta(2, 30, g)
    S["devices"] = np.ones(g)
    S["B"] = rng.lognormal(np.log(5), 0.5, g)
    S["sess_rate"] = rng.uniform(2, 24, g)
    S["sess_L"] = rng.uniform(10, 60, g)
    S["sess_k"] = np.full(g, 5.0)
    S["gap_sigma"] = rng.uniform(0.05, 0.3, g)
    S["gap_alt"] = S["gap_sigma"].copy()
    return S


# --------------------------------------------------------------------------- observation
def observe(rng, S):
    """Draw counts from the latent processes; returns the raw aggregates a data team keeps."""
    n = len(S["lam"])
    D = S["D"].copy()
    created = W - np.ceil(S["age"])                         # first day the account exists
    D[np.arange(W)[None, :] < created[:, None]] = 0
    allowed = np.maximum((D > 0).sum(1), 1)
    Dn = D / D.sum(1, keepdims=True) * allowed[:, None]
    daily = rng.poisson(S["lam"][:, None] * Dn)
    T = daily.sum(1)
    z = T == 0
    daily[z, np.argmax(Dn[z], 1)] = 1
    T = daily.sum(1)
    hour = rng.multinomial(T, S["P_hour"])
    act = rng.multinomial(T, S["P_act"])
    tgt = rng.multinomial(T, S["P_tgt"])
    Bc = np.maximum(1, np.round(S["B"]))[:, None]
    distinct = rng.binomial(Bc.astype(np.int64), 1 - np.exp(-tgt / Bc)).sum(1)
    active = (daily > 0).sum(1)
    sessions = np.clip(rng.poisson(S["sess_rate"] * active), 1, T)
    k = S["sess_k"] * sessions
    sess_min = rng.gamma(k, S["sess_L"] / k)
    # inter-event gaps: a sample of <= 48, log-normal with mean 1, scaled to the active span
    mg = np.minimum(T - 1, 48)
    Z = rng.standard_normal((n, 48))
    sig = np.where(rng.random((n, 48)) < S["c_gap"][:, None], S["gap_alt"][:, None], S["gap_sigma"][:, None])
    g = np.exp(sig * Z - sig ** 2 / 2)
    msk = np.arange(48)[None, :] < mg[:, None]
    cnt = np.maximum(mg, 1)
    gm = (g * msk).sum(1) / cnt
    gv = (((g - gm[:, None]) ** 2) * msk).sum(1) / np.maximum(mg - 1, 1)
    first = np.argmax(daily > 0, 1)
    last = W - 1 - np.argmax(daily[:, ::-1] > 0, 1)
    span = (last - first + 1) * 86400.0
    gap_mean = np.where(T > 1, span / T * gm, W * 86400.0)
    gap_cv = np.where(mg >= 2, np.sqrt(gv) / np.maximum(gm, 1e-300), 0.0)
    return dict(daily=daily, hour=hour, act=act, tgt=tgt,
                mobile=rng.binomial(T, S["mobile_p"]), distinct=distinct.astype(float),
                sessions=sessions.astype(float), sess_min=sess_min, gap_mean=gap_mean,
                gap_cv=gap_cv, **{k: S[k].astype(float) for k in SPEC_META if k != "mobile_p"})


def features(R):
    daily = R["daily"]
    T = np.maximum(daily.sum(1), 1).astype(float)
    sh = lambda x: x / np.maximum(x.sum(1, keepdims=True), 1)  # noqa: E731
    hour = sh(R["hour"])
    dow = sh(np.stack([daily[:, DOW_OF_DAY == k].sum(1) for k in range(7)], 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -np.where(hour > 0, hour * np.log(hour), 0).sum(1) / np.log(24)
    act = R["act"]
    meta = np.stack([
        np.log1p(R["age"]), np.log1p(R["followers"]), np.log1p(R["following"]),
        np.log((R["followers"] + 1) / (R["following"] + 1)), R["compl"] / 8,
        R["avatar"], R["email"], R["phone"], np.log1p(T / W), np.log1p(act[:, AI["post"]] / W),
        (daily > 0).sum(1), daily.max(1) / T, np.log1p(R["sessions"]),
        np.log1p(T / R["sessions"]), R["sess_min"], np.log(R["gap_mean"]), R["gap_cv"], ent,
        np.minimum(R["mobile"], T) / T, R["devices"], np.log1p(R["distinct"]),
    ], 1)
    X = np.concatenate([hour, dow, sh(act), sh(R["tgt"]), meta], 1)
    assert X.shape[1] == 80
    return X


def expand_templates(rng, R, sizes, cfg):
    idx = np.repeat(np.arange(len(sizes)), sizes)
    out = {k: v[idx].copy() for k, v in R.items()}
    m = len(idx)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    exact = rng.random(m) < np.repeat(rng.uniform(*cfg["dup_exact"], len(sizes)), sizes)
    exact[starts] = True                                     # the template itself
    p = ~exact
    npert = p.sum()
    nu = cfg["dup_noise"]
    sk = lambda shape, lam=nu: rng.poisson(lam, shape) - rng.poisson(lam, shape)  # noqa: E731
    for k in ("daily", "hour", "act", "tgt"):
        out[k][p] = np.maximum(out[k][p] + sk(out[k][p].shape), 0)
    z = p & (out["daily"].sum(1) == 0)
    out["daily"][z, 0] = 1
    for k, lam in (("mobile", nu), ("distinct", nu), ("sessions", nu), ("followers", 2), ("following", 2)):
        out[k][p] = np.maximum(out[k][p] + sk(npert, lam), 0)
    out["sessions"] = np.maximum(out["sessions"], 1)
    out["age"][p] += rng.integers(0, 4, npert)
    for k, s in (("sess_min", .01), ("gap_mean", .01), ("gap_cv", .02)):
        out[k][p] *= np.exp(rng.normal(0, s, npert))
    return out


# --------------------------------------------------------------------------- world
def group_sizes(rng, budget, lo, hi):
    sizes = []
    left = budget
    while left >= lo:
        s = int(round(logu(rng, lo, min(hi, max(lo, left)))))
        s = min(s, left)
        if left - s < lo and left <= hi:
            s = left
        sizes.append(s)
        left -= s
    return sizes


def build(rows, seed, setting):
    cfg = SETTINGS[setting]
    rng = np.random.default_rng([seed, 0x6576])
    cs = group_sizes(rng, int(round(cfg["frac_dense"] * rows)), *cfg["comm_size"])
    fs = group_sizes(rng, int(round(cfg["frac_farm"] * rows)), *cfg["farm_size"])
    ms = group_sizes(rng, int(round(cfg["frac_mass"] * rows)), *cfg["mass_size"])
    ds = group_sizes(rng, int(round(cfg["frac_dup"] * rows)), *cfg["dup_size"])
    n_dup = sum(ds)
    M = rows - n_dup
    n_gen = M - sum(cs) - sum(fs) - sum(ms)
    assert n_gen > 0
    kind = np.zeros(rows, np.int32)
    farm = np.full(rows, -1, np.int64)
    comm = np.full(rows, -1, np.int64)
    dup = np.full(rows, -1, np.int64)

    S = gen_genuine(rng, M)
    pos = n_gen
    for i, s in enumerate(cs):
        sl = slice(pos, pos + s)
        apply_community(rng, S, sl, cfg)
        kind[sl], comm[sl] = 1, i
        pos += s
    for i, s in enumerate(fs):
        sl = slice(pos, pos + s)
        mix_into(rng, S, sl, farm_spec(rng, s, cfg), camo(rng, cfg, s))
        kind[sl], farm[sl] = 2, i
        pos += s
    for i, s in enumerate(ms):
        sl = slice(pos, pos + s)
        mix_into(rng, S, sl, mass_spec(rng, s, cfg, S, sl), camo(rng, cfg, s))
        kind[sl], farm[sl] = 3, len(fs) + i
        pos += s
    assert pos == M
    X = [features(observe(rng, S))]
    del S
    if ds:
        Rt = observe(rng, template_spec(rng, len(ds)))
        X.append(features(expand_templates(rng, Rt, np.array(ds), cfg)))
        kind[M:] = 4
        dup[M:] = np.repeat(np.arange(len(ds)), ds)
    X = np.concatenate(X).astype(np.float32)

    perm = rng.permutation(rows)
    ids = np.unique(rng.integers(100_000_000, 1_000_000_000, int(rows * 1.05) + 16))
    while len(ids) < rows:
        ids = np.unique(np.concatenate([ids, rng.integers(100_000_000, 1_000_000_000, rows)]))
    ids = rng.permutation(ids)[:rows]
    return dict(features=X[perm], id=ids.astype(np.int64), farm=farm[perm], dup_group=dup[perm],
                kind=kind[perm], community=comm[perm])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--setting", default="default", choices=sorted(SETTINGS))
    a = ap.parse_args(argv)
    if a.rows < 1000:
        ap.error("--rows must be >= 1000")
    t0 = time.time()
    w = build(a.rows, a.seed, a.setting)
    X = w["features"]
    assert np.isfinite(X).all(), "non-finite feature"
    assert (np.abs(X).sum(1) > 0).all(), "all-zero row"
    with h5py.File(a.out, "w") as f:
        f.attrs["generator"] = "eventcounts"
        f.attrs["seed"] = a.seed
        f.attrs["setting"] = a.setting
        f.create_dataset("accounts/features", data=X, chunks=(min(a.rows, 8192), 80))
        f.create_dataset("accounts/id", data=w["id"])
        for k in ("farm", "dup_group", "community"):
            f.create_dataset(f"truth/{k}", data=w[k].astype(np.int64))
        f.create_dataset("truth/kind", data=w["kind"].astype(np.int32))
    k = np.bincount(w["kind"], minlength=5)
    print(f"eventcounts: {a.rows} rows, setting {a.setting}, seed {a.seed}, "
          f"kinds {k.tolist()}, {time.time() - t0:.1f} s -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
