// Builds the ActionIndex of an action log, streaming the file in blocks.
#pragma once

#include <cstdint>

#include "host/core/action_index.h"
#include "host/io/action_log.h"

namespace unfriend {

/// Reads every block of `log` and indexes it. InputError naming the file when the log holds
/// fewer than two accounts (nothing can act in lockstep alone) or more than 2^32 - 1 accounts or
/// slots.
ActionIndex build_action_index(const ActionLogReader& log, int64_t block_rows);

/// Peak bytes build_action_index needs for `actions` rows (the index plus its sort buffers).
int64_t action_index_peak_bytes(int64_t actions);

}  // namespace unfriend
