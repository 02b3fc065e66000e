#include "host/synth/plan.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace unfriend::synth {

namespace {

int64_t draw_log_uniform_size(Rng& rng, int64_t lo, int64_t hi) {
  const int64_t size =
      std::llround(rng.log_uniform(static_cast<double>(lo), static_cast<double>(hi)));
  return std::clamp(size, lo, hi);
}

double log_uniform_mean(double lo, double hi) {
  return hi > lo ? (hi - lo) / std::log(hi / lo) : lo;
}

int64_t sum(const std::vector<int64_t>& sizes) {
  return std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
}

}  // namespace

std::vector<int64_t> split_log_uniform(int64_t total, int64_t lo, int64_t hi, Rng& rng) {
  std::vector<int64_t> sizes;
  if (total < 2) return sizes;
  if (total < lo) return {total};
  // Invariant: remaining is 0 or at least lo, so every group can reach the minimum size.
  int64_t remaining = total;
  while (remaining > 0) {
    int64_t size = draw_log_uniform_size(rng, lo, hi);
    if (size >= remaining) {
      size = remaining;
    } else if (remaining - size < lo) {
      // What would be left is too small for a group of its own: take it all when that still
      // fits hi, else leave exactly lo for one more group.
      size = (remaining <= hi || remaining - lo < lo) ? remaining : remaining - lo;
    }
    sizes.push_back(size);
    remaining -= size;
  }
  return sizes;
}

std::vector<int64_t> split_power_law(int64_t total, int64_t lo, int64_t hi, double exponent,
                                     Rng& rng) {
  std::vector<int64_t> sizes;
  if (total < 2) return sizes;
  if (total < lo) return {total};
  // Inverse CDF of the Pareto distribution truncated to [lo, hi].
  const double a = exponent - 1.0;
  const double tail = std::pow(static_cast<double>(hi) / static_cast<double>(lo), -a);
  int64_t remaining = total;
  while (remaining > 0) {
    const double u = rng.uniform();
    int64_t size = std::llround(lo * std::pow(1.0 - u * (1.0 - tail), -1.0 / a));
    size = std::clamp(size, lo, hi);
    // A remainder below lo joins this group: communities need not respect hi exactly, and no
    // tiny leftover community is created.
    if (size >= remaining || remaining - size < lo) size = remaining;
    sizes.push_back(size);
    remaining -= size;
  }
  return sizes;
}

std::vector<int64_t> split_counted(int64_t total, int min_count, int max_count, int64_t lo,
                                   int64_t hi, Rng& rng) {
  std::vector<int64_t> sizes;
  if (total < 2) return sizes;
  int64_t count = std::llround(static_cast<double>(total) /
                               log_uniform_mean(static_cast<double>(lo), static_cast<double>(hi)));
  count = std::clamp<int64_t>(count, min_count, max_count);
  while (count > 1 && total < count * lo) --count;
  count = std::min(count, total / 2);  // every group at least 2 rows
  std::vector<double> weights(static_cast<size_t>(count));
  for (double& w : weights) w = rng.log_uniform(static_cast<double>(lo), static_cast<double>(hi));

  // Real-valued sizes summing to total: within [lo, hi] when the count allows it (scale the
  // weights and clamp, the scale found by bisection), else simply proportional to the weights.
  const bool fits = count * lo <= total && total <= count * hi;
  const double dlo = fits ? static_cast<double>(lo) : 0.0;
  const double dhi = fits ? static_cast<double>(hi) : static_cast<double>(total);
  auto sized = [&](double scale, size_t i) { return std::clamp(scale * weights[i], dlo, dhi); };
  auto sum_at = [&](double scale) {
    double sum = 0;
    for (size_t i = 0; i < weights.size(); ++i) sum += sized(scale, i);
    return sum;
  };
  double low = 0, high = 1;
  while (sum_at(high) < static_cast<double>(total)) high *= 2;
  for (int iteration = 0; iteration < 200 && high - low > 1e-12 * high; ++iteration) {
    const double mid = (low + high) / 2;
    (sum_at(mid) < static_cast<double>(total) ? low : high) = mid;
  }

  // Largest-remainder rounding so that the integer sizes sum to total exactly.
  const int64_t min_size = fits ? lo : 2;
  const int64_t max_size = fits ? hi : total;
  std::vector<double> fractional(weights.size());
  sizes.resize(weights.size());
  int64_t assigned = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const double exact = sized(high, i);
    sizes[i] = std::clamp<int64_t>(static_cast<int64_t>(std::floor(exact)), min_size, max_size);
    fractional[i] = exact - std::floor(exact);
    assigned += sizes[i];
  }
  std::vector<size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return fractional[a] > fractional[b]; });
  for (size_t i = 0; assigned < total; i = (i + 1) % order.size()) {
    if (sizes[order[i]] < max_size) {
      ++sizes[order[i]];
      ++assigned;
    }
  }
  for (size_t step = 0; assigned > total; ++step) {
    const size_t k = order[order.size() - 1 - step % order.size()];
    if (sizes[k] > min_size) {
      --sizes[k];
      --assigned;
    }
  }
  return sizes;
}

double draw_activity(Rng& rng, const SynthParams& params) {
  return std::clamp(rng.student_t(params.activity_dof), -params.activity_clip,
                    params.activity_clip);
}

namespace {

// Chooses a genuine community with probability proportional to its size, the way a random
// genuine account would: camouflage and duplicate templates follow where the people are.
class CommunityPicker {
 public:
  explicit CommunityPicker(const std::vector<Group>& groups) {
    for (size_t i = 0; i < groups.size(); ++i) {
      if (groups[i].kind == AccountKind::genuine && !groups[i].loners) {
        total_ += groups[i].rows;
        cumulative_.push_back(total_);
        index_.push_back(i);
      }
    }
  }
  bool empty() const { return index_.empty(); }
  size_t pick(Rng& rng) const {
    const int64_t r = static_cast<int64_t>(rng.below(static_cast<uint64_t>(total_)));
    auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), r);
    return index_[static_cast<size_t>(it - cumulative_.begin())];
  }

 private:
  int64_t total_ = 0;
  std::vector<int64_t> cumulative_;
  std::vector<size_t> index_;
};

Group make_community(const SynthParams& p, AccountKind kind, int64_t id, int64_t size,
                     double sigma_min, double sigma_max) {
  Group g;
  g.kind = kind;
  g.rows = size;
  g.community = id;
  Rng rng(p.seed, kStreamCommunity, static_cast<uint64_t>(id));
  g.centre.resize(static_cast<size_t>(p.dims));
  g.sigma.resize(static_cast<size_t>(p.dims));
  for (float& c : g.centre) c = static_cast<float>(rng.normal());
  const double sigma = rng.log_uniform(sigma_min, sigma_max);
  for (float& s : g.sigma) {
    s = static_cast<float>(sigma * rng.uniform(p.anisotropy_min, p.anisotropy_max));
  }
  return g;
}

// A template next to a genuine community centre, or anywhere when there is none.
std::vector<float> template_near(const Group* community, const SynthParams& p, double spread,
                                 Rng& rng) {
  std::vector<float> centre(static_cast<size_t>(p.dims));
  for (size_t d = 0; d < centre.size(); ++d) {
    centre[d] = community ? static_cast<float>(community->centre[d] + spread * rng.normal())
                          : static_cast<float>(rng.normal());
  }
  return centre;
}

// Whether near-duplicate group g is one of exact copies: spread evenly over the groups (group 0
// first) so that even a data set with one or two groups gets the share as closely as it can.
bool exact_duplicate_group(int64_t g, double share) {
  return std::ceil((g + 1) * share - 1e-9) > std::ceil(g * share - 1e-9);
}

}  // namespace

Plan make_plan(const SynthParams& p) {
  Plan plan;
  plan.rows = p.rows;
  plan.dims = p.dims;
  const size_t dims = static_cast<size_t>(p.dims);

  Rng space(p.seed, kStreamSpace, 0);
  plan.scale.resize(dims);
  plan.offset.resize(dims);
  plan.activity.resize(dims);
  for (size_t d = 0; d < dims; ++d) {
    plan.scale[d] = std::exp(p.scale_log_sigma * space.normal());
    plan.offset[d] = p.offset_sigma * space.normal();
  }
  double norm = 0;
  for (double& a : plan.activity) {
    a = space.normal();
    norm += a * a;
  }
  norm = std::sqrt(norm);
  for (double& a : plan.activity) a = norm > 0 ? a / norm * p.activity_strength : 0.0;

  // Group sizes: planted kinds first, by their exact row targets; genuine takes the rest.
  Rng sizes_rng(p.seed, kStreamSizes, 0);
  auto target = [&](double fraction) {
    return std::llround(fraction * static_cast<double>(p.rows));
  };
  std::vector<int64_t> dense =
      split_counted(target(p.dense_fraction), p.dense_min_count, p.dense_max_count,
                    p.dense_min_size, p.dense_max_size, sizes_rng);
  std::vector<int64_t> farms =
      split_log_uniform(target(p.farm_fraction), p.farm_min_size, p.farm_max_size, sizes_rng);
  std::vector<int64_t> networks = split_log_uniform(
      target(p.mass_report_fraction), p.mass_report_min_size, p.mass_report_max_size, sizes_rng);
  std::vector<int64_t> duplicates = split_log_uniform(
      target(p.duplicate_fraction), p.duplicate_min_size, p.duplicate_max_size, sizes_rng);
  // Rounding every target up can overshoot a tiny N: drop planted groups until it fits.
  for (std::vector<int64_t>* list : {&duplicates, &networks, &farms, &dense}) {
    while (!list->empty() && sum(dense) + sum(farms) + sum(networks) + sum(duplicates) > p.rows) {
      list->pop_back();
    }
  }
  const int64_t genuine = p.rows - sum(dense) - sum(farms) - sum(networks) - sum(duplicates);
  int64_t loners = std::llround(static_cast<double>(genuine) * p.loner_fraction);
  const int64_t community_max = std::max<int64_t>(
      p.community_min_size, std::llround(p.community_max_fraction * static_cast<double>(p.rows)));
  std::vector<int64_t> communities = split_power_law(
      genuine - loners, p.community_min_size, community_max, p.community_size_exponent, sizes_rng);
  loners = genuine - sum(communities);  // a leftover too small for a community

  const size_t group_count =
      communities.size() + 1 + dense.size() + farms.size() + networks.size() + duplicates.size();
  plan.groups.reserve(group_count);
  SynthSummary& summary = plan.summary;

  int64_t community_id = 0;
  for (int64_t size : communities) {
    plan.groups.push_back(make_community(p, AccountKind::genuine, community_id++, size,
                                         p.community_sigma_min, p.community_sigma_max));
  }
  summary.communities = static_cast<int64_t>(communities.size());
  if (loners > 0) {
    Group g;
    g.kind = AccountKind::genuine;
    g.rows = loners;
    g.loners = true;
    plan.groups.push_back(std::move(g));
  }
  summary.loners = loners;
  for (int64_t size : dense) {
    plan.groups.push_back(make_community(p, AccountKind::dense_genuine, community_id++, size,
                                         p.dense_sigma_min, p.dense_sigma_max));
  }
  summary.dense_communities = static_cast<int64_t>(dense.size());

  const CommunityPicker picker(plan.groups);
  auto pick = [&](Rng& rng) -> const Group* {
    return picker.empty() ? nullptr : &plan.groups[picker.pick(rng)];
  };

  int64_t farm_id = 0;
  for (size_t f = 0; f < farms.size(); ++f) {
    Rng rng(p.seed, kStreamFarm, f);
    Group g;
    g.kind = AccountKind::click_farm;
    g.rows = farms[f];
    g.farm = farm_id++;
    const bool camouflaged = rng.uniform() < p.farm_camouflaged_share;
    const Group* near = camouflaged ? pick(rng) : nullptr;
    g.centre = template_near(near, p, p.template_offset_sigma, rng);
    g.sigma.assign(dims, static_cast<float>(rng.log_uniform(p.farm_sigma_min, p.farm_sigma_max)));
    g.noisy_dims_fraction = rng.uniform(0.0, p.farm_noisy_dims_max);
    g.activity = Activity::group;
    g.activity_mean = draw_activity(rng, p);
    plan.groups.push_back(std::move(g));
  }
  summary.farms = static_cast<int64_t>(farms.size());

  std::vector<size_t> dim_order(dims);
  for (size_t m = 0; m < networks.size(); ++m) {
    Rng rng(p.seed, kStreamMassReport, m);
    Group g;
    g.kind = AccountKind::mass_report;
    g.rows = networks[m];
    g.farm = farm_id++;
    g.centre = template_near(pick(rng), p, p.template_offset_sigma, rng);
    // The reporting behaviour: a random subset of dimensions in lockstep, the rest looser.
    std::iota(dim_order.begin(), dim_order.end(), size_t{0});
    const size_t lockstep =
        static_cast<size_t>(std::llround(p.mass_report_lockstep_share * static_cast<double>(dims)));
    for (size_t i = 0; i < lockstep; ++i) {
      std::swap(dim_order[i], dim_order[i + rng.below(dims - i)]);
    }
    g.sigma.assign(dims, static_cast<float>(p.mass_report_loose_sigma));
    for (size_t i = 0; i < lockstep; ++i) {
      g.sigma[dim_order[i]] = static_cast<float>(p.mass_report_lockstep_sigma);
    }
    g.activity = Activity::group;
    g.activity_mean = draw_activity(rng, p);
    plan.groups.push_back(std::move(g));
  }
  summary.mass_report_networks = static_cast<int64_t>(networks.size());

  for (size_t k = 0; k < duplicates.size(); ++k) {
    Rng rng(p.seed, kStreamDuplicate, k);
    Group g;
    g.kind = AccountKind::near_duplicate;
    g.rows = duplicates[k];
    g.dup_group = static_cast<int64_t>(k);
    // The template is one new account drawn like a genuine one (its activity included).
    const Group* source = pick(rng);
    const double activity = draw_activity(rng, p);
    const double loner_sigma = rng.log_uniform(p.community_sigma_min, p.community_sigma_max);
    g.centre.resize(dims);
    for (size_t d = 0; d < dims; ++d) {
      const double base = source ? source->centre[d] + source->sigma[d] * rng.normal()
                                 : rng.normal() + loner_sigma * rng.normal();
      g.centre[d] = static_cast<float>(base + activity * plan.activity[d]);
    }
    if (!exact_duplicate_group(static_cast<int64_t>(k), p.duplicate_exact_share)) {
      g.sigma.assign(dims, static_cast<float>(p.duplicate_sigma));
    } else {
      ++summary.exact_duplicate_groups;
    }
    g.activity = Activity::none;
    plan.groups.push_back(std::move(g));
  }
  summary.duplicate_groups = static_cast<int64_t>(duplicates.size());

  int64_t first = 0;
  for (Group& g : plan.groups) {
    g.first = first;
    first += g.rows;
    summary.kind_rows[static_cast<int>(g.kind)] += g.rows;
  }
  return plan;
}

}  // namespace unfriend::synth
