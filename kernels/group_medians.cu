// Per-group medians: one radix sort of packed (label, value) keys instead of a segmented sort,
// then one thread per group reads its middle element(s).
#include <thrust/copy.h>
#include <thrust/execution_policy.h>
#include <thrust/iterator/constant_iterator.h>
#include <thrust/iterator/transform_iterator.h>
#include <thrust/reduce.h>
#include <thrust/remove.h>
#include <thrust/scan.h>
#include <thrust/sort.h>
#include <thrust/transform.h>
#include <thrust/unique.h>

#include <cmath>

#include "kernels/group_medians.h"
#include "kernels/kernel_common.cuh"
#include "kernels/thrust_policy.cuh"
#include "kernels/thrust_status.cuh"

namespace unfriend::kernels {

namespace {

constexpr int kThreads = 256;
constexpr uint64_t kDropped = ~uint64_t{0};  // no real key: labels stay below 2^31

/// Unsigned bits that sort as the floats do (negatives flipped whole, positives' sign set).
__device__ __forceinline__ uint32_t ordered_bits(float value) {
  const uint32_t u = __float_as_uint(value);
  return (u & 0x80000000u) != 0 ? ~u : (u | 0x80000000u);
}

__device__ __forceinline__ float from_ordered_bits(uint32_t bits) {
  const uint32_t u = (bits & 0x80000000u) != 0 ? (bits & 0x7fffffffu) : ~bits;
  return __uint_as_float(u);
}

__device__ __forceinline__ uint64_t pack(int64_t label, float value) {
  return (static_cast<uint64_t>(label) << 32) | ordered_bits(value);
}

struct PackMember {
  const float* row_value;
  __device__ uint64_t operator()(int64_t label, int64_t row) const {
    return pack(label, row_value[row]);
  }
};

struct PackRowValue {
  const float* row_value;
  __device__ uint64_t operator()(uint64_t key) const {
    const float value = row_value[key & 0xffffffffu];
    return isfinite(value) ? pack(static_cast<int64_t>(key >> 32), value) : kDropped;
  }
};

struct IsDropped {
  __device__ bool operator()(uint64_t key) const { return key == kDropped; }
};

struct LabelOf {
  __device__ int64_t operator()(uint64_t key) const { return static_cast<int64_t>(key >> 32); }
};

__global__ void __launch_bounds__(kThreads)
    medians_kernel(const uint64_t* keys, int64_t segments, const int64_t* segment_label,
                   const int64_t* segment_count, const int64_t* segment_offset,
                   const int32_t* group_of_label, double* median, int64_t* value_count) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t s = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; s < segments;
       s += stride) {
    const int32_t g = group_of_label[segment_label[s]];
    if (g < 0) continue;
    const int64_t n = segment_count[s];
    const uint64_t* values = keys + segment_offset[s];
    const int64_t mid = n / 2;
    const double upper = from_ordered_bits(static_cast<uint32_t>(values[mid]));
    double result = upper;
    if (n % 2 == 0) {
      const double lower = from_ordered_bits(static_cast<uint32_t>(values[mid - 1]));
      result = 0.5 * (lower + upper);
    }
    median[g] = result;
    value_count[g] = n;
  }
}

}  // namespace

cudaError_t pack_member_values(const int64_t* member_label, const int64_t* member_rows,
                               int64_t members, const float* row_value, uint64_t* keys,
                               cudaStream_t stream) {
  if (members < 0 || (members > 0 && (member_label == nullptr || member_rows == nullptr ||
                                      row_value == nullptr || keys == nullptr))) {
    return cudaErrorInvalidValue;
  }
  if (members == 0) return cudaSuccess;
  return thrust_status([&] {
    thrust::transform(thrust::cuda::par_nosync.on(stream), member_label, member_label + members,
                      member_rows, keys, PackMember{row_value});
  });
}

cudaError_t sort_keys(uint64_t* keys, int64_t count, bool unique, int64_t* kept, TempMemory& temp,
                      cudaStream_t stream) {
  if (count < 0 || kept == nullptr || (count > 0 && keys == nullptr)) return cudaErrorInvalidValue;
  *kept = count;
  if (count == 0) return cudaSuccess;
  return thrust_status([&] {
    ThrustTempAllocator allocator(temp);
    const auto policy = thrust_policy(allocator, stream);
    thrust::sort(policy, keys, keys + count);
    if (unique) *kept = thrust::unique(policy, keys, keys + count) - keys;
  });
}

cudaError_t pack_row_values(uint64_t* keys, int64_t count, const float* row_value, int64_t* kept,
                            TempMemory& temp, cudaStream_t stream) {
  if (count < 0 || kept == nullptr || (count > 0 && (keys == nullptr || row_value == nullptr))) {
    return cudaErrorInvalidValue;
  }
  *kept = count;
  if (count == 0) return cudaSuccess;
  return thrust_status([&] {
    ThrustTempAllocator allocator(temp);
    const auto policy = thrust_policy(allocator, stream);
    thrust::transform(policy, keys, keys + count, keys, PackRowValue{row_value});
    *kept = thrust::remove_if(policy, keys, keys + count, IsDropped()) - keys;
  });
}

cudaError_t keyed_medians(const uint64_t* keys, int64_t count, const int32_t* group_of_label,
                          double* median, int64_t* value_count, int64_t* segment_label,
                          int64_t* segment_count, int64_t* segment_offset, TempMemory& temp,
                          cudaStream_t stream) {
  if (count < 0 ||
      (count > 0 && (keys == nullptr || group_of_label == nullptr || median == nullptr ||
                     value_count == nullptr || segment_label == nullptr ||
                     segment_count == nullptr || segment_offset == nullptr))) {
    return cudaErrorInvalidValue;
  }
  if (count == 0) return cudaSuccess;
  int64_t segments = 0;
  cudaError_t status = thrust_status([&] {
    ThrustTempAllocator allocator(temp);
    const auto policy = thrust_policy(allocator, stream);
    auto labels = thrust::make_transform_iterator(keys, LabelOf());
    auto runs =
        thrust::reduce_by_key(policy, labels, labels + count, thrust::constant_iterator<int64_t>(1),
                              segment_label, segment_count);
    segments = runs.first - segment_label;
    thrust::exclusive_scan(policy, segment_count, segment_count + segments, segment_offset);
  });
  if (status != cudaSuccess) return status;
  medians_kernel<<<grid_stride_blocks(segments, kThreads), kThreads, 0, stream>>>(
      keys, segments, segment_label, segment_count, segment_offset, group_of_label, median,
      value_count);
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
