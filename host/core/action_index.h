// An action log indexed twice: per account (its actions sorted by slot, then time) and per slot
// (a slot is one (target, kind): the actions on it sorted by time). Accounts and slots are dense
// indices into the sorted distinct ids. Built by host/pipeline/action_index.cpp; read by the
// lockstep primitives of both backends.
#pragma once

#include <cstdint>
#include <vector>

namespace unfriend {

struct ActionIndex {
  std::vector<int64_t> account_ids;  // sorted distinct account ids; index = dense account
  std::vector<int64_t> slot_target;  // per dense slot, sorted by (target, kind)
  std::vector<int32_t> slot_kind;
  std::vector<int64_t> slot_first_time;  // the first action on the slot's target, any kind

  // Per account a: entries [account_offsets[a], account_offsets[a + 1]), sorted by (slot, time).
  std::vector<int64_t> account_offsets;
  std::vector<uint32_t> account_slot;
  std::vector<int64_t> account_time;
  std::vector<int32_t> distinct_slots;  // per account: how many different slots it acted on

  // Per slot s: entries [slot_offsets[s], slot_offsets[s + 1]), sorted by (time, account).
  std::vector<int64_t> slot_offsets;
  std::vector<uint32_t> slot_account;
  std::vector<int64_t> slot_time;

  int64_t actions = 0;
  int64_t first_time = 0, last_time = 0;

  int64_t accounts() const { return static_cast<int64_t>(account_ids.size()); }
  int64_t slots() const { return static_cast<int64_t>(slot_target.size()); }
  int64_t bytes() const;
};

inline int64_t ActionIndex::bytes() const {
  auto b = [](const auto& v) { return static_cast<int64_t>(v.size() * sizeof(v[0])); };
  return b(account_ids) + b(slot_target) + b(slot_kind) + b(slot_first_time) + b(account_offsets) +
         b(account_slot) + b(account_time) + b(distinct_slots) + b(slot_offsets) + b(slot_account) +
         b(slot_time);
}

/// Calls visit(e) for account a's first entry on each slot it acted on (its entries are sorted
/// by slot, then time, so that is the first of each run of one slot).
template <typename Visit>
void for_each_first_action(const ActionIndex& index, uint32_t a, Visit&& visit) {
  for (int64_t e = index.account_offsets[a]; e < index.account_offsets[a + 1]; ++e) {
    if (e > index.account_offsets[a] && index.account_slot[e - 1] == index.account_slot[e])
      continue;
    visit(e);
  }
}

}  // namespace unfriend
