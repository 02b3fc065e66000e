// Launcher for row gathering: picking rows by index into a contiguous block (compaction of the
// valid rows, in order).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace unfriend::kernels {

/// out[i, :] = in[index[i], :] for i < count; rows are `cols` floats, contiguous; index
/// (device) holds count row numbers. `out` must not overlap the rows read.
cudaError_t gather_rows(const float* in, int64_t cols, const int64_t* index, int64_t count,
                        float* out, cudaStream_t stream);

}  // namespace unfriend::kernels
