#include "host/pipeline/sweep_text.h"

#include <fmt/format.h>

#include <cstdint>

namespace unfriend {

std::string sweep_text(const nlohmann::json& summary, const std::vector<StageTime>& times) {
  const nlohmann::json& counts = summary["counts"];
  const nlohmann::json& knn = summary["knn"];
  const int64_t rows = counts["accounts"].get<int64_t>();
  const int64_t flagged = counts["flagged"].get<int64_t>();
  std::string text = fmt::format(
      "unfriend sweep: {} accounts ({} assessed, {} not assessed), backend {}, kNN {} k={}{}\n",
      rows, counts["assessed"].get<int64_t>(), counts["not_assessed"].get<int64_t>(),
      summary["backend"].get<std::string>(), knn["mode"].get<std::string>(),
      knn["k"].get<int64_t>(),
      knn.contains("recall_at_k")
          ? fmt::format(" (recall@k {:.3f})", knn["recall_at_k"].get<double>())
          : std::string());
  text += fmt::format(
      "  flagged accounts:      {} ({:.2f}%){}\n", flagged, rows ? 100.0 * flagged / rows : 0.0,
      summary["alarm"]["tripped"].get<bool>() ? "  ALARM: an unusually large share, check the input"
                                              : "");
  text += fmt::format(
      "  click-farm clusters:   {} ({} accounts; {} candidates, {} not tighter "
      "than their surroundings, {} not a network in both halves of the features)\n",
      counts["clusters"].get<int64_t>(), counts["cluster_accounts"].get<int64_t>(),
      counts["candidate_clusters"].get<int64_t>(),
      counts["rejected_not_tighter_than_surroundings"].get<int64_t>(),
      counts["rejected_not_cohesive"].get<int64_t>());
  text += fmt::format("  near-duplicate groups: {} ({} accounts)\n",
                      counts["dup_groups"].get<int64_t>(), counts["dup_accounts"].get<int64_t>());
  if (summary.contains("lockstep")) {
    const int64_t with_features = counts["campaign_accounts"].get<int64_t>();
    text += fmt::format(
        "  lockstep campaigns:    {} ({} accounts with features, {} more only in "
        "the action log)\n",
        counts["campaigns"].get<int64_t>(), with_features,
        summary["lockstep"]["flagged"].get<int64_t>() - with_features);
  }
  const nlohmann::json& decisions = summary["decisions"];
  if (decisions["held_for_review"].get<int64_t>() > 0 || !decisions["protect_list"].is_null() ||
      !decisions["cleared_list"].is_null()) {
    text += fmt::format(
        "  decisions:             {} flagged, {} held for review ({} groups in the "
        "review queue)\n",
        decisions["flagged"].get<int64_t>(), decisions["held_for_review"].get<int64_t>(),
        decisions["review_groups"].get<int64_t>());
  }
  if (summary.contains("diff")) {
    const nlohmann::json& diff = summary["diff"];
    std::string changes;
    for (auto& [kind, kind_counts] : diff["counts"].items()) {
      std::string parts;
      for (auto& [change, count] : kind_counts.items()) {
        parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", count.get<int64_t>(), change);
      }
      changes += fmt::format("{}{}s: {}", changes.empty() ? "" : "; ", kind,
                             parts.empty() ? "none" : parts);
    }
    text +=
        fmt::format("  since {}: {}; {} accounts newly flagged, {} no longer\n",
                    diff["previous"].get<std::string>(), changes,
                    diff["newly_flagged"].get<int64_t>(), diff["no_longer_flagged"].get<int64_t>());
  }
  const nlohmann::json& thresholds = summary["thresholds"];
  text += fmt::format(
      "  thresholds (from the data): eps distance {:.4g} ({}), duplicate "
      "distance {:.4g} ({}), genuine core distance {:.4g}\n",
      thresholds["eps_distance"].get<double>(), thresholds["eps_rule"].get<std::string>(),
      thresholds["duplicate_distance"].get<double>(),
      thresholds["duplicate_rule"].get<std::string>(),
      thresholds["genuine_core_distance"].get<double>());
  const nlohmann::json& top = summary["top_clusters"];
  if (!top.empty()) {
    text += "  top clusters:\n";
    text += fmt::format("    {:>5} {:>7} {:<14} {:>8} {:>9} {:>7} {:>20}\n", "id", "size", "kind",
                        "mean_sim", "tightness", "score", "representative_id");
    for (const nlohmann::json& c : top) {
      text += fmt::format("    {:>5} {:>7} {:<14} {:>8.4f} {:>9.2f} {:>7.1f} {:>20}\n",
                          c["id"].get<int64_t>(), c["size"].get<int64_t>(),
                          c["kind"].get<std::string>(), c["mean_similarity"].get<double>(),
                          c["tightness"].get<double>(), c["score"].get<double>(),
                          c["representative_id"].get<int64_t>());
    }
  }
  text += "  time:";
  for (const StageTime& t : times) text += fmt::format(" {} {:.2f}s,", t.stage, t.seconds);
  text += fmt::format(" total {:.2f}s\n", summary["wall_seconds"].get<double>());
  text += fmt::format("  outputs: {} and {}\n", summary["output"]["path"].get<std::string>(),
                      summary["output"]["summary"].get<std::string>());
  return text;
}

}  // namespace unfriend
