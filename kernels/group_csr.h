// Launchers of the Thrust steps of group statistics: the members of each group in CSR form
// (compaction, a stable sort by label, run-length counts, a scan), per-group reductions of
// per-row values over that CSR, and the relabelling map from label to group index.
// The arrays named here are the caller's, and so are Thrust's temporaries: the launchers that
// sort, compact, scan or reduce take them from `temp` (the DeviceStack, through
// cuda/device_stack_allocator.h), at most kernels::thrust_temp_bytes(rows, 16) at a time.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/temp_memory.h"

namespace unfriend::kernels {

/// The caller's arrays, each with room for `rows` entries (group_offset: rows + 1).
struct GroupCsr {
  int64_t* member_rows = nullptr;   // rows with label >= 0, grouped by label, increasing within
  int64_t* member_label = nullptr;  // the label of each member_rows entry (sorted)
  int64_t* group_label = nullptr;   // per group, increasing
  int64_t* group_size = nullptr;
  int64_t* group_offset = nullptr;  // group g: members [group_offset[g], group_offset[g + 1])
};

/// Builds the CSR of `label` (rows entries, -1: no group). Writes the member and group counts
/// to the host (*members, *groups), synchronising the stream.
cudaError_t group_csr(const int64_t* label, int64_t rows, const GroupCsr& csr, int64_t* members,
                      int64_t* groups, TempMemory& temp, cudaStream_t stream);

/// Per group g, over its members' rows: out[g] = the sum of row_values[row] (int64 counts,
/// double sums), the minimum (float), or the number of rows with row_flags[row] != 0.
cudaError_t group_sum_rows(const GroupCsr& csr, int64_t members, const int64_t* row_values,
                           int64_t* out, TempMemory& temp, cudaStream_t stream);
cudaError_t group_sum_rows(const GroupCsr& csr, int64_t members, const double* row_values,
                           double* out, TempMemory& temp, cudaStream_t stream);
cudaError_t group_min_rows(const GroupCsr& csr, int64_t members, const float* row_values,
                           float* out, TempMemory& temp, cudaStream_t stream);
cudaError_t group_count_flags(const GroupCsr& csr, int64_t members, const uint8_t* row_flags,
                              int64_t* out, TempMemory& temp, cudaStream_t stream);

/// out[g] = csr.member_rows[csr.group_offset[g]]: each group's smallest row.
cudaError_t group_first_rows(const GroupCsr& csr, int64_t groups, int64_t* out,
                             cudaStream_t stream);

/// group_of_label[l] = g for l = csr.group_label[g], -1 for every other l < rows.
cudaError_t group_index_of_labels(const GroupCsr& csr, int64_t groups, int64_t rows,
                                  int32_t* group_of_label, cudaStream_t stream);

/// Exclusive scan of values[0, count) into out (int64); writes the total to the host.
cudaError_t exclusive_scan_total(const int64_t* values, int64_t count, int64_t* out, int64_t* total,
                                 TempMemory& temp, cudaStream_t stream);

}  // namespace unfriend::kernels
