#include "host/pipeline/decisions.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "host/core/error.h"

namespace unfriend {

std::vector<int64_t> read_account_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("{}: cannot read the account list", path));
  std::vector<int64_t> ids;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const size_t last = line.find_last_not_of(" \t\r");
    const std::string text = line.substr(first, last - first + 1);
    errno = 0;
    char* end = nullptr;
    const long long value = std::strtoll(text.c_str(), &end, 10);
    if (errno != 0 || end == text.c_str() || *end != '\0') {
      throw InputError(fmt::format("{}: line {} is not an account id (an integer): \"{}\"", path,
                                   number, text.size() > 40 ? text.substr(0, 40) + "..." : text));
    }
    ids.push_back(static_cast<int64_t>(value));
  }
  if (in.bad()) throw InputError(fmt::format("{}: read failed", path));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

Decisions decide_accounts(const std::vector<int64_t>& ids, const std::vector<GroupLabels>& groups,
                          const std::vector<int64_t>& protected_ids,
                          const std::vector<int64_t>& cleared_ids) {
  const size_t n = ids.size();
  auto listed = [](const std::vector<int64_t>& list, int64_t id) {
    return std::binary_search(list.begin(), list.end(), id);
  };
  Decisions out;
  out.decision.assign(n, static_cast<int8_t>(Decision::none));
  out.protected_listed = static_cast<int64_t>(protected_ids.size());
  out.cleared_listed = static_cast<int64_t>(cleared_ids.size());
  std::vector<uint8_t> is_protected(n, 0), is_cleared(n, 0), in_evidence(n, 0);
  for (size_t i = 0; i < n; ++i) {
    is_protected[i] = listed(protected_ids, ids[i]);
    is_cleared[i] = !is_protected[i] && listed(cleared_ids, ids[i]);
    out.protected_found += is_protected[i];
    out.cleared_found += is_cleared[i];
    for (const GroupLabels& g : groups) in_evidence[i] |= (*g.label)[i] >= 0;
    if (in_evidence[i]) out.decision[i] = static_cast<int8_t>(Decision::flagged);
  }
  // A group holding a protected account, or a cleared one (unless the group is new), is held
  // whole: its members go to review instead of being flagged.
  std::vector<std::vector<uint8_t>> held_group(groups.size());
  for (size_t k = 0; k < groups.size(); ++k) {
    const GroupLabels& g = groups[k];
    const std::vector<int64_t>& label = *g.label;
    int64_t count = 0;
    for (int64_t l : label) count = std::max(count, l + 1);
    std::vector<ReviewItem> items(static_cast<size_t>(count));
    for (size_t i = 0; i < n; ++i) {
      const int64_t l = label[i];
      if (l < 0) continue;
      ReviewItem& item = items[static_cast<size_t>(l)];
      ++item.size;
      item.protected_members += is_protected[i];
      const bool is_new = g.is_new && static_cast<size_t>(l) < g.is_new->size() && (*g.is_new)[l];
      item.cleared_members += is_cleared[i] && !is_new;
    }
    held_group[k].assign(static_cast<size_t>(count), 0);
    for (int64_t l = 0; l < count; ++l) {
      ReviewItem& item = items[static_cast<size_t>(l)];
      if (item.protected_members == 0 && item.cleared_members == 0) continue;
      held_group[k][static_cast<size_t>(l)] = 1;
      item.kind = g.kind;
      item.id = l;
      out.review_queue.push_back(item);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (!in_evidence[i]) continue;
    bool held = false;
    for (size_t k = 0; k < groups.size(); ++k) {
      const int64_t l = (*groups[k].label)[i];
      held |= l >= 0 && held_group[k][static_cast<size_t>(l)];
    }
    // Never flagged automatically: a protected account always, a cleared one unless every
    // group it is in is new (then it is held only when a group of it is held for another).
    if (is_protected[i]) held = true;
    out.protected_in_evidence += is_protected[i];
    out.cleared_in_evidence += is_cleared[i];
    if (held) out.decision[i] = static_cast<int8_t>(Decision::held);
  }
  for (int8_t d : out.decision) {
    out.flagged += d == static_cast<int8_t>(Decision::flagged);
    out.held += d == static_cast<int8_t>(Decision::held);
  }
  return out;
}

}  // namespace unfriend
