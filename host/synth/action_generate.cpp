// Generating the action log. A small sequential plan first (accounts, pages, posts, groups);
// then independent jobs (a block of genuine accounts, a fan base, a viral burst, a campaign),
// each drawing from its own counter-based streams into its own buffer, so any number of threads
// can run them in any order; the buffers are joined in job order and shuffled by one seeded
// permutation, so the bytes never depend on the threading.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_set>

#include "host/core/progress.h"
#include "host/synth/action_synth.h"
#include "host/synth/random.h"

namespace unfriend {

namespace {

using synth::Rng;

// Random stream ids (see synth::derive_key), one per use of randomness, so that changing one
// never shifts the numbers of another.
enum Stream : uint64_t {
  kStreamSizes = 101,           // group sizes
  kStreamAccount = 102,         // per account profile, by planned index
  kStreamPosts = 103,           // ordinary posts
  kStreamPage = 104,            // per page: time zone, rate, posts
  kStreamFanBase = 105,         // per fan base: pages, home time zone
  kStreamCampaignPlan = 106,    // per campaign: cells, pages it targets or serves
  kStreamCampaign = 107,        // per campaign: waves, windows, camouflage share
  kStreamVisits = 108,          // per account: genuine visits (camouflage included)
  kStreamFanPost = 109,         // per fan page post: the fans' reactions
  kStreamViral = 110,           // per viral burst: post and size
  kStreamShuffle = 111,         // the action permutation
  kStreamAccountOrder = 112,    // the truth row permutation
  kStreamIds = 113,             // account and post id keys
  kStreamViralReactions = 114,  // per viral burst: who reacts, when
};

constexpr double kDay = 86400;
constexpr double kHour = 3600;
constexpr double kTwoPi = 6.283185307179586;
constexpr int64_t kBlockAccounts = 2048;  // genuine accounts per job
constexpr int kMaxVisitTries = 16;        // targets tried before a visit is given up
constexpr int kMaxDeferrals = 64;

// Where people live, as UTC offsets in hours and weights: a few populous regions, so that
// waking hours overlap for many accounts but not for all.
constexpr double kZoneHours[] = {-8, -6, -5, -3, 0, 1, 2, 3, 5.5, 7, 8, 9};
constexpr double kZoneWeights[] = {0.07, 0.08, 0.15, 0.07, 0.10, 0.18,
                                   0.05, 0.06, 0.10, 0.04, 0.07, 0.03};

double draw_zone_seconds(Rng& rng) {
  double u = rng.uniform();
  for (size_t z = 0; z + 1 < std::size(kZoneHours); ++z) {
    if (u < kZoneWeights[z]) return kZoneHours[z] * kHour;
    u -= kZoneWeights[z];
  }
  return kZoneHours[std::size(kZoneHours) - 1] * kHour;
}

double exponential(Rng& rng, double mean) { return -mean * std::log1p(-rng.uniform()); }

double lognormal(Rng& rng, double median, double sigma) {
  return median * std::exp(sigma * rng.normal());
}

int uniform_int(Rng& rng, int lo, int hi) {
  return lo + static_cast<int>(rng.below(static_cast<uint64_t>(hi - lo) + 1));
}

// Log-uniform group sizes in [lo, hi] while at least lo accounts are left; the last group takes
// the rest when that keeps it in [lo, hi]. What is left (below lo) stays genuine.
std::vector<int64_t> split_sizes(int64_t total, int64_t lo, int64_t hi, Rng& rng) {
  std::vector<int64_t> sizes;
  int64_t remaining = total;
  while (remaining >= lo) {
    const double drawn = rng.log_uniform(static_cast<double>(lo), static_cast<double>(hi));
    int64_t size = std::clamp<int64_t>(std::llround(drawn), lo, hi);
    if (remaining - size < lo) size = std::min(remaining, hi);
    sizes.push_back(size);
    remaining -= size;
  }
  return sizes;
}

// A 62-bit bijection keyed by the seed: ids look random, are unique by construction and are
// never an index.
uint64_t scramble62(uint64_t index, uint64_t key) {
  constexpr uint64_t mask = (uint64_t{1} << 62) - 1;
  uint64_t x = (index + key) & mask;
  x = (x * 0x9e3779b97f4a7c15ULL) & mask;  // odd multipliers are invertible mod 2^62
  x ^= x >> 29;
  x = (x * 0xbf58476d1ce4e5b9ULL) & mask;
  x ^= x >> 32;
  x = (x * 0x94d049bb133111ebULL) & mask;
  x ^= x >> 29;
  return x;
}

struct Profile {
  AccountKind kind = AccountKind::genuine;
  int32_t cell = -1;
  int64_t group = -1;  // fan base or campaign id
  int64_t visits = 0;  // genuine visits (campaign members get camouflage instead)
  double zone_s = 0;   // UTC offset
  double peak_hour = 20;
  double kappa = 1;
  double sleep_hours = 8;
  double participation = 0;  // fans and campaign members: chance of joining a post or wave
  double fan_delay_s = 0;    // fans: own typical reaction delay
};

struct FanBase {
  int64_t first = 0;  // planned accounts [first, first + size)
  int64_t size = 0;
  std::vector<int64_t> pages;
};

struct Campaign {
  int64_t id = 0;
  AccountKind kind = AccountKind::click_farm;
  int64_t first = 0;
  int64_t size = 0;
  int cells = 1;
  std::vector<int64_t> pages;  // customers (farms) or targeted activist pages (networks)
};

struct Burst {
  int64_t post = 0;
  int64_t size = 0;
};

// One action before the ids are known: planned account and post indices.
struct Action {
  int64_t time;
  int32_t account;
  int32_t post;
  int32_t kind;
};

struct World {
  const ActionSynthParams& p;
  double t0 = 0;
  double t1 = 0;
  std::vector<Profile> accounts;   // planned order: genuine, fan bases, farms, networks
  int64_t genuine = 0;             // planned [0, genuine) are kind genuine
  std::vector<int64_t> published;  // per post
  std::vector<double> popularity;  // cumulative, per post
  std::vector<std::vector<int64_t>> page_posts;
  std::vector<int64_t> activist_pages;
  std::vector<int64_t> customer_pages;
  std::vector<FanBase> fan_bases;
  std::vector<Campaign> campaigns;
  std::vector<Burst> bursts;
  int64_t split_campaigns = 0;

  explicit World(const ActionSynthParams& params) : p(params) {}

  int64_t pick_post(Rng& rng) const {
    const double u = rng.uniform() * popularity.back();
    const auto it = std::upper_bound(popularity.begin(), popularity.end(), u);
    return std::min<int64_t>(it - popularity.begin(), static_cast<int64_t>(popularity.size()) - 1);
  }

  double awake(const Profile& a, double t) const {
    double hour = std::fmod((t + a.zone_s) / kHour - a.peak_hour, 24.0);  // from the peak
    if (hour < 0) hour += 24;
    const double from_sleep_centre = std::fabs(hour - p.sleep_after_peak_h);
    if (std::min(from_sleep_centre, 24 - from_sleep_centre) < a.sleep_hours / 2) {
      return p.sleep_floor;
    }
    return p.day_base + (1 - p.day_base) * std::exp(a.kappa * (std::cos(kTwoPi * hour / 24) - 1));
  }

  // A reaction is accepted with probability awake(), else put off a little and tried again:
  // reactions pile up when the account wakes, and thin out at its quiet hours.
  double defer_to_waking(Rng& rng, const Profile& a, double t) const {
    for (int i = 0; i < kMaxDeferrals && rng.uniform() >= awake(a, t); ++i) {
      t += exponential(rng, p.defer_mean_s);
    }
    return t;
  }
};

// A job's output: actions inside the window only.
class Sink {
 public:
  Sink(const World& world, std::vector<Action>& out) : t0_(world.t0), t1_(world.t1), out_(out) {}

  bool emit(int64_t account, int64_t post, double time, ActionKind kind) {
    if (!(time >= t0_ && time < t1_)) return false;
    out_.push_back({static_cast<int64_t>(std::floor(time)), static_cast<int32_t>(account),
                    static_cast<int32_t>(post), static_cast<int32_t>(kind)});
    return true;
  }

  // A view, then each follow-up independently seconds to minutes later. Returns actions kept.
  int react(Rng& rng, int64_t account, int64_t post, double t, double like, double comment,
            double share, double report) {
    int n = emit(account, post, t, ActionKind::view);
    if (rng.uniform() < like) {
      n += emit(account, post, t + 2 + exponential(rng, 30), ActionKind::like);
    }
    if (rng.uniform() < comment) {
      n += emit(account, post, t + 20 + exponential(rng, 120), ActionKind::comment);
    }
    if (rng.uniform() < share) {
      n += emit(account, post, t + 5 + exponential(rng, 60), ActionKind::share);
    }
    if (rng.uniform() < report) {
      n += emit(account, post, t + 10 + exponential(rng, 60), ActionKind::report);
    }
    return n;
  }

 private:
  double t0_;
  double t1_;
  std::vector<Action>& out_;
};

// One organic visit: a post by popularity (one the account has not visited yet), a heavy-tailed
// delay after its publication, the account's waking hours. Returns the actions kept (0 when no
// target fitted the window).
int genuine_visit(const World& w, Rng& rng, int64_t account, std::unordered_set<int64_t>& visited,
                  Sink& sink) {
  const ActionSynthParams& p = w.p;
  const Profile& a = w.accounts[static_cast<size_t>(account)];
  for (int attempt = 0; attempt < kMaxVisitTries; ++attempt) {
    const int64_t post = w.pick_post(rng);
    double t = static_cast<double>(w.published[static_cast<size_t>(post)]) +
               lognormal(rng, p.delay_median_s, p.delay_sigma);
    if (t < w.t0) continue;  // the backlog's old posts, mostly
    t = w.defer_to_waking(rng, a, t);
    if (t >= w.t1 || !visited.insert(post).second) continue;
    return sink.react(rng, account, post, t, p.like_prob, p.comment_prob, p.share_prob,
                      p.report_prob);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// The plan

// Posts of one page: rate ~ log-uniform(lo, hi) a day, at local hours 7-23 of the page.
void add_page(World& w, uint64_t page, double rate_lo, double rate_hi, double boost) {
  const ActionSynthParams& p = w.p;
  Rng rng(p.seed, kStreamPage, page);
  const double zone = draw_zone_seconds(rng);
  const double rate = rng.log_uniform(rate_lo, rate_hi);
  std::vector<int64_t> posts;
  for (int d = 0; d < p.days; ++d) {
    const int n = static_cast<int>(rate) + (rng.uniform() < rate - std::floor(rate) ? 1 : 0);
    for (int k = 0; k < n; ++k) {
      const double t = w.t0 + d * kDay + rng.uniform(7, 23) * kHour - zone;
      const double weight = boost * std::pow(1 - rng.uniform(), -1 / p.popularity_alpha);
      if (t < w.t0 || t >= w.t1) continue;
      posts.push_back(static_cast<int64_t>(w.published.size()));
      w.published.push_back(static_cast<int64_t>(t));
      w.popularity.push_back(w.popularity.back() + weight);
    }
  }
  w.page_posts.push_back(std::move(posts));
}

// `count` distinct entries of `pool` (all of it when smaller).
std::vector<int64_t> pick_distinct(const std::vector<int64_t>& pool, int count, Rng& rng) {
  std::vector<int64_t> copy = pool;
  const size_t n = std::min(copy.size(), static_cast<size_t>(std::max(count, 0)));
  for (size_t i = 0; i < n; ++i) std::swap(copy[i], copy[i + rng.below(copy.size() - i)]);
  copy.resize(n);
  return copy;
}

World make_world(const ActionSynthParams& p) {
  World w(p);
  w.t0 = static_cast<double>(p.start_time);
  w.t1 = w.t0 + p.days * kDay;
  const int64_t rows = p.rows;

  // Group sizes; planned order: genuine, fan bases, farms, networks.
  Rng sizes(p.seed, kStreamSizes, 0);
  const int64_t campaign_total = std::llround(p.campaign_fraction * static_cast<double>(rows));
  const int64_t farm_total = std::llround(p.farm_share * static_cast<double>(campaign_total));
  const std::vector<int64_t> fan_sizes =
      split_sizes(std::llround(p.fan_fraction * static_cast<double>(rows)), p.fan_size_lo,
                  p.fan_size_hi, sizes);
  const std::vector<int64_t> farm_sizes =
      split_sizes(farm_total, p.farm_size_lo, p.farm_size_hi, sizes);
  const std::vector<int64_t> network_sizes =
      split_sizes(campaign_total - farm_total, p.network_size_lo, p.network_size_hi, sizes);
  int64_t planted = 0;
  for (const auto* list : {&fan_sizes, &farm_sizes, &network_sizes}) {
    for (int64_t s : *list) planted += s;
  }
  w.genuine = rows - planted;
  int64_t next = w.genuine;
  std::vector<double> base_zone;
  std::vector<int> base_pages;
  for (size_t b = 0; b < fan_sizes.size(); ++b) {
    FanBase base;
    base.first = next;
    base.size = fan_sizes[b];
    next += base.size;
    w.fan_bases.push_back(base);
    Rng rng(p.seed, kStreamFanBase, b);
    base_zone.push_back(draw_zone_seconds(rng));
    base_pages.push_back(uniform_int(rng, p.fan_pages_lo, p.fan_pages_hi));
  }
  auto add_campaigns = [&](const std::vector<int64_t>& list, AccountKind kind) {
    for (int64_t size : list) {
      Campaign c;
      c.id = static_cast<int64_t>(w.campaigns.size());
      c.kind = kind;
      c.first = next;
      c.size = size;
      next += size;
      w.campaigns.push_back(c);
    }
  };
  add_campaigns(farm_sizes, AccountKind::click_farm);
  add_campaigns(network_sizes, AccountKind::mass_report);

  // Ordinary posts, then the pages' own posts after them.
  const int64_t ordinary = std::llround(p.posts_per_account * static_cast<double>(rows));
  w.published.reserve(static_cast<size_t>(ordinary) + 1024);
  w.popularity.reserve(static_cast<size_t>(ordinary) + 1024);
  w.popularity.push_back(0);  // a leading 0, dropped once every post is in
  Rng posts(p.seed, kStreamPosts, 0);
  const double backlog_start = w.t0 - p.backlog_days * kDay;
  for (int64_t i = 0; i < ordinary; ++i) {
    w.published.push_back(static_cast<int64_t>(posts.uniform(backlog_start, w.t1)));
    w.popularity.push_back(w.popularity.back() +
                           std::pow(1 - posts.uniform(), -1 / p.popularity_alpha));
  }
  uint64_t page = 0;
  for (size_t b = 0; b < w.fan_bases.size(); ++b) {
    for (int k = 0; k < base_pages[b]; ++k) {
      w.fan_bases[b].pages.push_back(static_cast<int64_t>(w.page_posts.size()));
      add_page(w, page++, p.fan_posts_per_day_lo, p.fan_posts_per_day_hi, p.fan_popularity_boost);
    }
  }
  const auto farms = static_cast<int64_t>(farm_sizes.size());
  if (!network_sizes.empty()) {
    const int64_t activists = std::max<int64_t>(
        3, std::llround(p.activist_pages_per_network * static_cast<double>(network_sizes.size())));
    for (int64_t k = 0; k < activists; ++k) {
      w.activist_pages.push_back(static_cast<int64_t>(w.page_posts.size()));
      add_page(w, page++, p.activist_posts_per_day_lo, p.activist_posts_per_day_hi,
               p.fan_popularity_boost);
    }
  }
  for (int64_t k = 0; k < farms * p.customer_pages_per_farm; ++k) {
    w.customer_pages.push_back(static_cast<int64_t>(w.page_posts.size()));
    add_page(w, page++, p.customer_posts_per_day_lo, p.customer_posts_per_day_hi, 1);
  }
  w.popularity.erase(w.popularity.begin());
  if (w.published.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw std::length_error("synth --actions: too many posts");
  }
  if (w.published.empty()) {  // no post at all: one, so that visits have a target
    w.published.push_back(static_cast<int64_t>(w.t0));
    w.popularity.push_back(1);
  }

  // Campaigns: cells, and the customers they serve or the activist pages they target.
  for (Campaign& c : w.campaigns) {
    Rng rng(p.seed, kStreamCampaignPlan, static_cast<uint64_t>(c.id));
    if (rng.uniform() < p.cell_split_prob) {
      c.cells = static_cast<int>(std::min<int64_t>(uniform_int(rng, 2, p.cells_hi), c.size));
    }
    if (c.cells > 1) ++w.split_campaigns;
    if (c.kind == AccountKind::click_farm) {
      c.pages = pick_distinct(w.customer_pages,
                              uniform_int(rng, p.farm_customers_lo, p.farm_customers_hi), rng);
    } else {
      c.pages = pick_distinct(w.activist_pages,
                              uniform_int(rng, p.network_pages_lo, p.network_pages_hi), rng);
    }
  }

  // Accounts: kind and group, then each one's profile.
  w.accounts.resize(static_cast<size_t>(rows));
  for (size_t b = 0; b < w.fan_bases.size(); ++b) {
    for (int64_t i = w.fan_bases[b].first; i < w.fan_bases[b].first + w.fan_bases[b].size; ++i) {
      w.accounts[static_cast<size_t>(i)].kind = AccountKind::dense_genuine;
      w.accounts[static_cast<size_t>(i)].group = static_cast<int64_t>(b);
    }
  }
  for (const Campaign& c : w.campaigns) {
    for (int64_t j = 0; j < c.size; ++j) {
      Profile& a = w.accounts[static_cast<size_t>(c.first + j)];
      a.kind = c.kind;
      a.group = c.id;
      a.cell = static_cast<int32_t>(j * c.cells / c.size);  // cells are contiguous slices
    }
  }
  for (int64_t i = 0; i < rows; ++i) {
    Profile& a = w.accounts[static_cast<size_t>(i)];
    Rng rng(p.seed, kStreamAccount, static_cast<uint64_t>(i));
    a.zone_s = draw_zone_seconds(rng);
    a.peak_hour = p.peak_hour_mean + p.peak_hour_sd * rng.normal();
    a.kappa = rng.uniform(p.kappa_lo, p.kappa_hi);
    a.sleep_hours = rng.uniform(p.sleep_hours_lo, p.sleep_hours_hi);
    const double visits = lognormal(rng, p.visits_median, p.visits_sigma);
    if (a.kind == AccountKind::genuine || a.kind == AccountKind::dense_genuine) {
      a.visits = std::clamp<int64_t>(std::llround(visits), 1, p.visits_max);
    }
    if (a.kind == AccountKind::dense_genuine) {
      // Most fans of a local team or a singer live where it does.
      if (rng.uniform() < 0.8) a.zone_s = base_zone[static_cast<size_t>(a.group)];
      a.participation = rng.uniform(p.fan_participation_lo, p.fan_participation_hi);
      a.fan_delay_s = rng.log_uniform(p.fan_delay_lo_s, p.fan_delay_hi_s);
    } else if (a.kind != AccountKind::genuine) {
      a.participation = rng.uniform(p.participation_lo, p.participation_hi);
    }
  }

  // Viral bursts on ordinary posts published at least a day before the end.
  const int64_t bursts =
      ordinary > 0 ? std::llround(p.viral_bursts_per_100k * static_cast<double>(rows) / 1e5) : 0;
  const auto burst_cap =
      static_cast<int64_t>(p.viral_max_fraction * static_cast<double>(w.genuine));
  for (int64_t b = 0; b < bursts && burst_cap >= 1; ++b) {
    Rng rng(p.seed, kStreamViral, static_cast<uint64_t>(b));
    Burst burst;
    burst.post = -1;
    for (int tries = 0; tries < 1000 && burst.post < 0; ++tries) {
      const auto post = static_cast<int64_t>(rng.below(static_cast<uint64_t>(ordinary)));
      const double t = static_cast<double>(w.published[static_cast<size_t>(post)]);
      if (t >= w.t0 && t < w.t1 - kDay) burst.post = post;
    }
    if (burst.post < 0) continue;
    const double size =
        rng.log_uniform(static_cast<double>(p.viral_size_lo), static_cast<double>(p.viral_size_hi));
    burst.size = std::min<int64_t>(std::llround(size), burst_cap);
    w.bursts.push_back(burst);
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// The jobs

void genuine_block(const World& w, int64_t begin, int64_t end, Sink& sink) {
  std::unordered_set<int64_t> visited;
  for (int64_t i = begin; i < end; ++i) {
    Rng rng(w.p.seed, kStreamVisits, static_cast<uint64_t>(i));
    const int64_t visits = w.accounts[static_cast<size_t>(i)].visits;
    visited.clear();
    for (int64_t v = 0; v < visits; ++v) genuine_visit(w, rng, i, visited, sink);
  }
}

// Every post of the base's pages: each fan joins with its own probability, after its own
// typical delay, when awake.
void fan_base_job(const World& w, const FanBase& base, Sink& sink) {
  const ActionSynthParams& p = w.p;
  for (int64_t page : base.pages) {
    for (int64_t post : w.page_posts[static_cast<size_t>(page)]) {
      Rng rng(p.seed, kStreamFanPost, static_cast<uint64_t>(post));
      const double published = static_cast<double>(w.published[static_cast<size_t>(post)]);
      for (int64_t i = base.first; i < base.first + base.size; ++i) {
        const Profile& a = w.accounts[static_cast<size_t>(i)];
        if (rng.uniform() >= a.participation) continue;
        double t = published + lognormal(rng, a.fan_delay_s, p.fan_delay_sigma);
        t = w.defer_to_waking(rng, a, t);
        sink.react(rng, i, post, t, p.fan_like_prob, p.fan_comment_prob, p.fan_share_prob, 0);
      }
    }
  }
}

// Thousands of distinct genuine accounts, awake when the post spreads, react within hours.
void burst_job(const World& w, int64_t index, const Burst& burst, Sink& sink) {
  const ActionSynthParams& p = w.p;
  Rng rng(p.seed, kStreamViralReactions, static_cast<uint64_t>(index));
  const double published = static_cast<double>(w.published[static_cast<size_t>(burst.post)]);
  std::vector<char> taken(static_cast<size_t>(w.genuine), 0);
  int64_t joined = 0;
  for (int64_t tries = 0; joined < burst.size && tries < 50 * burst.size; ++tries) {
    const auto i = static_cast<int64_t>(rng.below(static_cast<uint64_t>(w.genuine)));
    const Profile& a = w.accounts[static_cast<size_t>(i)];
    if (taken[static_cast<size_t>(i)] || rng.uniform() >= w.awake(a, published + kHour)) continue;
    taken[static_cast<size_t>(i)] = 1;
    ++joined;
    const double t = published + lognormal(rng, p.viral_delay_median_s, p.viral_delay_sigma);
    sink.react(rng, i, burst.post, t, 0.6, 0.08, 0.2, 0);
  }
}

struct Wave {
  int64_t post;
  double start;
  ActionKind kind;
  double share;  // of the campaign's members asked to act
};

// The campaign's waves on its targets, cell by cell, then its members' camouflage.
void campaign_job(const World& w, const Campaign& c, Sink& sink) {
  const ActionSynthParams& p = w.p;
  Rng rng(p.seed, kStreamCampaign, static_cast<uint64_t>(c.id));
  const double window = rng.log_uniform(p.window_lo_s, p.window_hi_s);
  const double shift = rng.log_uniform(p.cell_shift_lo_s, p.cell_shift_hi_s);
  const double camouflage = rng.uniform(0, p.camouflage_max);

  std::vector<Wave> waves;
  if (c.kind == AccountKind::mass_report) {
    for (int64_t page : c.pages) {
      for (int64_t post : w.page_posts[static_cast<size_t>(page)]) {
        if (rng.uniform() >= p.wave_prob) continue;
        const double start = static_cast<double>(w.published[static_cast<size_t>(post)]) +
                             rng.uniform(p.wave_delay_lo_s, p.wave_delay_hi_s);
        waves.push_back({post, start, ActionKind::report, 1.0});
      }
    }
  } else {
    std::vector<int64_t> posts;
    for (int64_t page : c.pages) {
      const std::vector<int64_t>& list = w.page_posts[static_cast<size_t>(page)];
      posts.insert(posts.end(), list.begin(), list.end());
    }
    const int orders = uniform_int(rng, p.farm_orders_lo, p.farm_orders_hi);
    for (int64_t post : pick_distinct(posts, orders, rng)) {
      const double start = static_cast<double>(w.published[static_cast<size_t>(post)]) +
                           rng.uniform(0, p.order_delay_max_s);
      const double u = rng.uniform();
      const ActionKind kind = u < p.order_share_prob                          ? ActionKind::share
                              : u < p.order_share_prob + p.order_comment_prob ? ActionKind::comment
                                                                              : ActionKind::like;
      waves.push_back({post, start, kind, rng.uniform(p.order_share_lo, 1)});
    }
  }

  std::vector<int64_t> done(static_cast<size_t>(c.size), 0);
  for (const Wave& wave : waves) {
    std::vector<double> cell_start(static_cast<size_t>(c.cells));
    for (int k = 0; k < c.cells; ++k)
      cell_start[k] = wave.start + k * shift * rng.uniform(0.9, 1.1);
    for (int64_t j = 0; j < c.size; ++j) {
      const int64_t i = c.first + j;
      const Profile& a = w.accounts[static_cast<size_t>(i)];
      if (rng.uniform() >= a.participation * wave.share) continue;
      const double t = cell_start[static_cast<size_t>(a.cell)] + rng.uniform(0, window);
      if (rng.uniform() < p.view_before_prob) {
        done[static_cast<size_t>(j)] +=
            sink.emit(i, wave.post, t - rng.uniform(2, 90), ActionKind::view);
      }
      done[static_cast<size_t>(j)] += sink.emit(i, wave.post, t, wave.kind);
    }
  }

  // Camouflage: ordinary visits until they are `camouflage` of the member's actions.
  std::unordered_set<int64_t> visited;
  for (int64_t j = 0; j < c.size; ++j) {
    const int64_t i = c.first + j;
    Rng visits(p.seed, kStreamVisits, static_cast<uint64_t>(i));
    visited.clear();
    const auto target = static_cast<int64_t>(std::llround(
        static_cast<double>(done[static_cast<size_t>(j)]) * camouflage / (1 - camouflage)));
    int64_t made = 0;
    for (int64_t tries = 0; made < target && tries < 4 * target + 16; ++tries) {
      made += genuine_visit(w, visits, i, visited, sink);
    }
  }
}

// Runs jobs 0..count-1 on `threads` threads (the caller's included), each exactly once.
template <typename Job>
void run_jobs(int64_t count, int threads, const Job& job) {
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> finished{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  Progress progress("synth --actions", count, "jobs");
  int64_t reported = 0;
  auto worker = [&](bool reporter) {
    try {
      for (int64_t j = next++; j < count; j = next++) {
        job(j);
        ++finished;
        if (reporter) {
          const int64_t now = finished.load();
          progress.advance(now - reported);
          reported = now;
        }
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = count;  // the others stop after their current job
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(worker, false);
    } catch (const std::system_error&) {
      break;  // fewer threads than asked: the ones running share all jobs
    }
  }
  worker(true);
  for (std::thread& t : pool) t.join();
  progress.advance(finished.load() - reported);
  progress.finish();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

ActionLog generate_action_log(const ActionSynthParams& params) {
  validate(params);
  const World w = make_world(params);
  const int64_t rows = params.rows;

  // Jobs in a fixed order: blocks of genuine and fan accounts' own visits, fan bases, bursts,
  // campaigns (largest work first would balance better, but the order is part of the output).
  const int64_t organic = w.genuine + [&] {
    int64_t fans = 0;
    for (const FanBase& b : w.fan_bases) fans += b.size;
    return fans;
  }();
  const int64_t blocks = (organic + kBlockAccounts - 1) / kBlockAccounts;
  const auto fan_jobs = static_cast<int64_t>(w.fan_bases.size());
  const auto burst_jobs = static_cast<int64_t>(w.bursts.size());
  const auto campaign_jobs = static_cast<int64_t>(w.campaigns.size());
  const int64_t jobs = blocks + fan_jobs + burst_jobs + campaign_jobs;
  std::vector<std::vector<Action>> buffers(static_cast<size_t>(jobs));
  int threads = params.threads > 0
                    ? params.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, jobs)));
  run_jobs(jobs, threads, [&](int64_t j) {
    Sink sink(w, buffers[static_cast<size_t>(j)]);
    if (j < blocks) {
      genuine_block(w, j * kBlockAccounts, std::min(organic, (j + 1) * kBlockAccounts), sink);
    } else if ((j -= blocks) < fan_jobs) {
      fan_base_job(w, w.fan_bases[static_cast<size_t>(j)], sink);
    } else if ((j -= fan_jobs) < burst_jobs) {
      burst_job(w, j, w.bursts[static_cast<size_t>(j)], sink);
    } else {
      campaign_job(w, w.campaigns[static_cast<size_t>(j - burst_jobs)], sink);
    }
  });

  ActionLog log;
  log.params = params;
  ActionSummary& s = log.summary;

  // Truth rows in a shuffled order; ids from the planned index.
  const uint64_t account_key = synth::derive_key(params.seed, kStreamIds, 0);
  const uint64_t post_key = synth::derive_key(params.seed, kStreamIds, 1);
  std::vector<int64_t> ids(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) {
    ids[static_cast<size_t>(i)] =
        static_cast<int64_t>(scramble62(static_cast<uint64_t>(i), account_key)) + 1;
  }
  std::vector<int64_t> order(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) order[static_cast<size_t>(i)] = i;
  Rng account_order(params.seed, kStreamAccountOrder, 0);
  for (int64_t i = rows - 1; i > 0; --i) {
    std::swap(order[static_cast<size_t>(i)],
              order[account_order.below(static_cast<uint64_t>(i) + 1)]);
  }
  AccountTruth& truth = log.truth;
  truth.account.resize(static_cast<size_t>(rows));
  truth.kind.resize(static_cast<size_t>(rows));
  truth.campaign.resize(static_cast<size_t>(rows));
  truth.community.resize(static_cast<size_t>(rows));
  truth.cell.resize(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const auto i = static_cast<size_t>(order[static_cast<size_t>(r)]);
    const Profile& a = w.accounts[i];
    const auto out = static_cast<size_t>(r);
    const bool campaign = a.kind == AccountKind::click_farm || a.kind == AccountKind::mass_report;
    truth.account[out] = ids[i];
    truth.kind[out] = static_cast<int32_t>(a.kind);
    truth.campaign[out] = campaign ? a.group : -1;
    truth.community[out] = a.kind == AccountKind::dense_genuine ? a.group : -1;
    truth.cell[out] = a.cell;
    ++s.kind_accounts[static_cast<int>(a.kind)];
  }

  // Actions: the buffers in job order, through one seeded permutation.
  std::vector<size_t> offset(buffers.size() + 1, 0);
  for (size_t j = 0; j < buffers.size(); ++j) offset[j + 1] = offset[j] + buffers[j].size();
  const size_t total = offset.back();
  if (total > std::numeric_limits<uint32_t>::max()) {
    throw std::length_error("synth --actions: more than 2^32 actions");
  }
  std::vector<Action> joined;
  joined.reserve(total);
  for (std::vector<Action>& buffer : buffers) {
    joined.insert(joined.end(), buffer.begin(), buffer.end());
    std::vector<Action>().swap(buffer);
  }
  std::vector<uint32_t> permutation(total);
  for (size_t k = 0; k < total; ++k) permutation[k] = static_cast<uint32_t>(k);
  Rng shuffle(params.seed, kStreamShuffle, 0);
  for (size_t k = total; k > 1; --k) std::swap(permutation[k - 1], permutation[shuffle.below(k)]);

  ActionColumns& actions = log.actions;
  actions.account.resize(total);
  actions.target.resize(total);
  actions.time.resize(total);
  actions.kind.resize(total);
  std::vector<int64_t> post_ids(w.published.size());
  for (size_t q = 0; q < post_ids.size(); ++q) {
    post_ids[q] = static_cast<int64_t>(scramble62(q, post_key));
  }
  for (size_t k = 0; k < total; ++k) {
    const Action& a = joined[permutation[k]];
    actions.account[k] = ids[static_cast<size_t>(a.account)];
    actions.target[k] = post_ids[static_cast<size_t>(a.post)];
    actions.time[k] = a.time;
    actions.kind[k] = a.kind;
    ++s.action_kinds[a.kind];
  }

  s.actions = static_cast<int64_t>(total);
  s.posts = static_cast<int64_t>(w.published.size());
  s.fan_bases = static_cast<int64_t>(w.fan_bases.size());
  for (const Campaign& c : w.campaigns) {
    (c.kind == AccountKind::click_farm ? s.farms : s.networks)++;
  }
  s.split_campaigns = w.split_campaigns;
  s.viral_bursts = static_cast<int64_t>(w.bursts.size());
  s.activist_pages = static_cast<int64_t>(w.activist_pages.size());
  s.customer_pages = static_cast<int64_t>(w.customer_pages.size());
  return log;
}

}  // namespace unfriend
