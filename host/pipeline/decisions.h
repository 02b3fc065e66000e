// What to do with each account: the evidence (clusters, near-duplicate groups, campaigns) says
// who looks coordinated; the decision adds what people know. A protected account (a verified
// journalist, an activist under attack) is never flagged automatically, nor is an account
// cleared on appeal: when the evidence would flag one, it and every group it is in are held for
// human review instead, and those groups form the review queue.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace unfriend {

enum class Decision : int8_t { none = 0, flagged = 1, held = 2 };

/// Account ids from a text file, one per line (blank lines and lines starting with '#' are
/// skipped; surrounding spaces allowed), sorted and unique. InputError naming the file and line
/// for anything else, or when the file cannot be read.
std::vector<int64_t> read_account_list(const std::string& path);

/// One group kind's labels per account (-1: in no group of that kind).
struct GroupLabels {
  std::string kind;  // "cluster", "dup_group" or "campaign"
  const std::vector<int64_t>* label = nullptr;
  /// Per group id (may be empty): true when the group is new in a scheduled run (no group of
  /// the previous run matched it). A cleared account in a new group is flagged like anyone.
  const std::vector<uint8_t>* is_new = nullptr;
};

struct ReviewItem {
  std::string kind;
  int64_t id = 0;
  int64_t size = 0;
  int64_t protected_members = 0;
  int64_t cleared_members = 0;
};

struct Decisions {
  std::vector<int8_t> decision;          // per account, a Decision
  std::vector<ReviewItem> review_queue;  // by kind (in the order given), then id
  int64_t flagged = 0, held = 0;
  int64_t protected_listed = 0, cleared_listed = 0;            // ids in the lists
  int64_t protected_found = 0, cleared_found = 0;              // of those, accounts of this sweep
  int64_t protected_in_evidence = 0, cleared_in_evidence = 0;  // of those, in some group
};

/// The decisions for accounts `ids` (row order) from their groups and the two sorted lists.
Decisions decide_accounts(const std::vector<int64_t>& ids, const std::vector<GroupLabels>& groups,
                          const std::vector<int64_t>& protected_ids,
                          const std::vector<int64_t>& cleared_ids);

}  // namespace unfriend
