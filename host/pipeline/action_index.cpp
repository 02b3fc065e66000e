#include "host/pipeline/action_index.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <parallel/algorithm>

#include "host/core/error.h"
#include "host/core/progress.h"

namespace unfriend {

namespace {

struct SlotKey {
  int64_t target;
  int32_t kind;
  bool operator<(const SlotKey& o) const {
    return target != o.target ? target < o.target : kind < o.kind;
  }
  bool operator==(const SlotKey& o) const { return target == o.target && kind == o.kind; }
};

struct Entry {  // one action, for the two sorts
  uint32_t account;
  uint32_t slot;
  int64_t time;
};

// libstdc++'s parallel sort (OpenMP threads). Every sort here is by a total order on values, so
// the result does not depend on the thread count.
template <typename It, typename Less>
void sort_values(It begin, It end, Less less) {
  __gnu_parallel::sort(begin, end, less);
}
template <typename It>
void sort_values(It begin, It end) {
  __gnu_parallel::sort(begin, end);
}

}  // namespace

int64_t action_index_peak_bytes(int64_t actions) {
  // The raw columns (8 + 8 + 8 + 4), the copy of the account ids being made distinct (8) and the
  // (target, kind) keys (16) and entries (16) at once: 60 bytes an action, and 8 for the
  // allocator's slack (measured: 67 bytes an action at 104M actions, whole process).
  return actions * 68;
}

ActionIndex build_action_index(const ActionLogReader& log, int64_t block_rows) {
  const ActionLogInfo& info = log.info();
  const size_t n = static_cast<size_t>(info.rows);
  std::vector<int64_t> account(n), target(n), time(n);
  std::vector<int32_t> kind(n);
  Progress progress("lockstep: reading actions", info.rows, "actions");
  log.for_each_block(block_rows, [&](const ActionBlock& b) {
    progress.advance(static_cast<int64_t>(b.account.size()));
    const size_t at = static_cast<size_t>(b.begin);
    std::copy(b.account.begin(), b.account.end(), account.begin() + at);
    std::copy(b.target.begin(), b.target.end(), target.begin() + at);
    std::copy(b.time.begin(), b.time.end(), time.begin() + at);
    std::copy(b.kind.begin(), b.kind.end(), kind.begin() + at);
  });
  progress.finish();

  ActionIndex index;
  index.actions = info.rows;
  index.account_ids = account;
  sort_values(index.account_ids.begin(), index.account_ids.end());
  index.account_ids.erase(std::unique(index.account_ids.begin(), index.account_ids.end()),
                          index.account_ids.end());
  if (index.account_ids.size() < 2) {
    throw InputError(
        fmt::format("{}: the action log has only one account ({}): lockstep needs "
                    "at least two",
                    info.file, index.account_ids.front()));
  }
  std::vector<SlotKey> slots(n);
  for (size_t i = 0; i < n; ++i) slots[i] = {target[i], kind[i]};
  sort_values(slots.begin(), slots.end());
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  constexpr size_t kMaxIndex = std::numeric_limits<uint32_t>::max();
  if (index.account_ids.size() >= kMaxIndex || slots.size() >= kMaxIndex) {
    throw InputError(
        fmt::format("{}: {} accounts and {} (target, kind) slots: at most 2^32 - 2 "
                    "of each are supported",
                    info.file, index.account_ids.size(), slots.size()));
  }
  index.slot_target.resize(slots.size());
  index.slot_kind.resize(slots.size());
  index.slot_first_time.assign(slots.size(), std::numeric_limits<int64_t>::max());
  for (size_t s = 0; s < slots.size(); ++s) {
    index.slot_target[s] = slots[s].target;
    index.slot_kind[s] = slots[s].kind;
  }

  std::vector<Entry> entries(n);
  index.first_time = std::numeric_limits<int64_t>::max();
  index.last_time = std::numeric_limits<int64_t>::min();
  const int64_t rows = static_cast<int64_t>(n);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const size_t i = static_cast<size_t>(r);
    const auto a = std::lower_bound(index.account_ids.begin(), index.account_ids.end(), account[i]);
    const auto s = std::lower_bound(slots.begin(), slots.end(), SlotKey{target[i], kind[i]});
    entries[i] = {static_cast<uint32_t>(a - index.account_ids.begin()),
                  static_cast<uint32_t>(s - slots.begin()), time[i]};
  }
  for (size_t i = 0; i < n; ++i) {
    index.first_time = std::min(index.first_time, time[i]);
    index.last_time = std::max(index.last_time, time[i]);
  }
  std::vector<int64_t>().swap(account);
  std::vector<int64_t>().swap(target);
  std::vector<int64_t>().swap(time);
  std::vector<int32_t>().swap(kind);
  std::vector<SlotKey>().swap(slots);

  // Per account, by (slot, time); the full order makes the index independent of the file order.
  sort_values(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
    if (x.account != y.account) return x.account < y.account;
    if (x.slot != y.slot) return x.slot < y.slot;
    return x.time < y.time;
  });
  const size_t accounts = index.account_ids.size();
  index.account_offsets.assign(accounts + 1, 0);
  index.distinct_slots.assign(accounts, 0);
  index.account_slot.resize(n);
  index.account_time.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const Entry& e = entries[i];
    ++index.account_offsets[e.account + 1];
    if (i == 0 || entries[i - 1].account != e.account || entries[i - 1].slot != e.slot) {
      ++index.distinct_slots[e.account];
    }
    index.account_slot[i] = e.slot;
    index.account_time[i] = e.time;
  }
  for (size_t a = 0; a < accounts; ++a) index.account_offsets[a + 1] += index.account_offsets[a];

  // Per slot, by (time, account).
  sort_values(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
    if (x.slot != y.slot) return x.slot < y.slot;
    if (x.time != y.time) return x.time < y.time;
    return x.account < y.account;
  });
  const size_t slot_count = index.slot_target.size();
  index.slot_offsets.assign(slot_count + 1, 0);
  index.slot_account.resize(n);
  index.slot_time.resize(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t& first = index.slot_first_time[entries[i].slot];
    first = std::min(first, entries[i].time);
  }
  // The first action on a target is the earliest over its slots (its kinds), which are adjacent.
  for (size_t s = 0; s < slot_count;) {
    size_t e = s;
    int64_t first = index.slot_first_time[s];
    while (e < slot_count && index.slot_target[e] == index.slot_target[s]) {
      first = std::min(first, index.slot_first_time[e]);
      ++e;
    }
    for (size_t x = s; x < e; ++x) index.slot_first_time[x] = first;
    s = e;
  }
  for (size_t i = 0; i < n; ++i) {
    ++index.slot_offsets[entries[i].slot + 1];
    index.slot_account[i] = entries[i].account;
    index.slot_time[i] = entries[i].time;
  }
  for (size_t s = 0; s < slot_count; ++s) index.slot_offsets[s + 1] += index.slot_offsets[s];
  return index;
}

}  // namespace unfriend
