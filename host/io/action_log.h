// Action logs: who did what to which target, when (`unfriend lockstep`, `sweep --actions`).
// An HDF5 file with equal-length 1-D integer datasets /actions/account, /actions/target,
// /actions/time (Unix seconds) and optionally /actions/kind (0 view, 1 like, 2 comment, 3 share,
// 4 report; other codes allowed), in any order and any chunking. Read in blocks, so a log is
// never held twice in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace unfriend {

/// Action kinds with names, a file-format contract (written by `synth --actions`, read by
/// `lockstep`); any other non-negative code is kept as it is.
enum class ActionKind : int32_t { view = 0, like = 1, comment = 2, share = 3, report = 4 };
constexpr int kActionKindCount = 5;          // the named kinds
std::string action_kind_name(int32_t code);  // "report", or "kind 17"

/// Times outside [0, kMaxActionTime] are refused as absurd: the year 3000 in Unix seconds.
constexpr int64_t kMaxActionTime = 32503680000;

struct ActionLogInfo {
  std::string file;
  int64_t rows = 0;
  bool has_kind = false;
  int64_t chunk_rows = 0;  // of /actions/account; 0 when contiguous
};

/// One block of consecutive rows.
struct ActionBlock {
  int64_t begin = 0;
  std::vector<int64_t> account, target, time;
  std::vector<int32_t> kind;  // all 0 ("view") when the log has no /actions/kind
};

class ActionLogReader {
 public:
  /// Opens and checks the layout: InputError "FILE: fault" for a missing dataset, a rank other
  /// than 1, a non-integer type, lengths that differ, or an empty log.
  explicit ActionLogReader(const std::string& path);
  ~ActionLogReader();
  ActionLogReader(const ActionLogReader&) = delete;
  ActionLogReader& operator=(const ActionLogReader&) = delete;

  const ActionLogInfo& info() const { return info_; }

  /// Reads rows [begin, begin + count) and checks their values: InputError naming the file and
  /// the row for a negative target or kind, or a time outside [0, kMaxActionTime].
  void read_block(int64_t begin, int64_t count, ActionBlock& block) const;

  /// Every row in blocks of about `block_rows`, in row order.
  void for_each_block(int64_t block_rows, const std::function<void(const ActionBlock&)>& fn) const;

 private:
  ActionLogInfo info_;
  int64_t file_ = -1;
  int64_t account_ = -1, target_ = -1, time_ = -1, kind_ = -1;
};

/// Whether `path` looks like an action log (has /actions/account): for `inspect`.
bool is_action_log(const std::string& path);

}  // namespace unfriend
