// Launchers of per-group medians: values packed with their group label into one 64-bit key
// (label << 32 | order-preserving bits of the float), sorted with Thrust, so that each group's
// values end up contiguous and in order; a kernel then reads each middle. Thrust's temporaries
// come from `temp` (at most kernels::thrust_temp_bytes(count, 8) at a time).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/temp_memory.h"

namespace unfriend::kernels {

/// keys[p] = pack(member_label[p], row_value[member_rows[p]]) for p < members.
cudaError_t pack_member_values(const int64_t* member_label, const int64_t* member_rows,
                               int64_t members, const float* row_value, uint64_t* keys,
                               cudaStream_t stream);

/// Sorts keys[0, count) and, with unique, drops repeats; *kept (host) = entries left.
cudaError_t sort_keys(uint64_t* keys, int64_t count, bool unique, int64_t* kept, TempMemory& temp,
                      cudaStream_t stream);

/// In place, keys (label << 32 | row) become pack(label, row_value[row]); entries whose value
/// is not finite are dropped (order kept). *kept (host) = entries left.
cudaError_t pack_row_values(uint64_t* keys, int64_t count, const float* row_value, int64_t* kept,
                            TempMemory& temp, cudaStream_t stream);

/// For sorted packed keys: per label l present, median[g] and value_count[g] for
/// g = group_of_label[l] (labels with g < 0 are ignored). The median is the middle value, or
/// the mean in double of the two middle values. segment_label, segment_count and
/// segment_offset are workspace with room for one entry per distinct label in the keys.
cudaError_t keyed_medians(const uint64_t* keys, int64_t count, const int32_t* group_of_label,
                          double* median, int64_t* value_count, int64_t* segment_label,
                          int64_t* segment_count, int64_t* segment_offset, TempMemory& temp,
                          cudaStream_t stream);

}  // namespace unfriend::kernels
