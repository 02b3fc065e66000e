// CSR of groups with Thrust: copy_if (compaction), stable_sort_by_key, reduce_by_key (run
// lengths and per-group reductions), exclusive_scan, scatter (relabelling).
#include <thrust/copy.h>
#include <thrust/execution_policy.h>
#include <thrust/fill.h>
#include <thrust/functional.h>
#include <thrust/gather.h>
#include <thrust/iterator/constant_iterator.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/discard_iterator.h>
#include <thrust/iterator/permutation_iterator.h>
#include <thrust/iterator/transform_iterator.h>
#include <thrust/reduce.h>
#include <thrust/scan.h>
#include <thrust/scatter.h>
#include <thrust/sort.h>

#include <cmath>

#include "kernels/group_csr.h"
#include "kernels/thrust_policy.cuh"
#include "kernels/thrust_status.cuh"

namespace unfriend::kernels {

namespace {

struct HasGroup {
  __device__ bool operator()(int64_t label) const { return label >= 0; }
};

struct FlagToCount {
  __device__ int64_t operator()(uint8_t flag) const { return flag != 0 ? 1 : 0; }
};

struct MinFloat {
  __device__ float operator()(float a, float b) const { return fminf(a, b); }
};

template <typename In, typename Out, typename Op>
cudaError_t reduce_members(const GroupCsr& csr, int64_t members, In row_values, Out* out, Op op,
                           TempMemory& temp, cudaStream_t stream) {
  if (members < 0 || (members > 0 && (csr.member_rows == nullptr || csr.member_label == nullptr ||
                                      out == nullptr))) {
    return cudaErrorInvalidValue;
  }
  if (members == 0) return cudaSuccess;
  return thrust_status([&] {
    auto values = thrust::make_permutation_iterator(row_values, csr.member_rows);
    ThrustTempAllocator allocator(temp);
    thrust::reduce_by_key(thrust_policy(allocator, stream), csr.member_label,
                          csr.member_label + members, values, thrust::make_discard_iterator(), out,
                          thrust::equal_to<int64_t>(), op);
  });
}

}  // namespace

cudaError_t group_csr(const int64_t* label, int64_t rows, const GroupCsr& csr, int64_t* members,
                      int64_t* groups, TempMemory& temp, cudaStream_t stream) {
  if (rows < 0 || members == nullptr || groups == nullptr ||
      (rows > 0 &&
       (label == nullptr || csr.member_rows == nullptr || csr.member_label == nullptr ||
        csr.group_label == nullptr || csr.group_size == nullptr || csr.group_offset == nullptr))) {
    return cudaErrorInvalidValue;
  }
  *members = 0;
  *groups = 0;
  if (rows == 0) return cudaSuccess;
  return thrust_status([&] {
    ThrustTempAllocator allocator(temp);
    const auto policy = thrust_policy(allocator, stream);
    // Members in row order, then a stable sort by label keeps rows increasing within a group.
    int64_t* end = thrust::copy_if(policy, thrust::counting_iterator<int64_t>(0),
                                   thrust::counting_iterator<int64_t>(rows), label, csr.member_rows,
                                   HasGroup());
    const int64_t m = end - csr.member_rows;
    *members = m;
    if (m == 0) return;
    thrust::gather(policy, csr.member_rows, csr.member_rows + m, label, csr.member_label);
    thrust::stable_sort_by_key(policy, csr.member_label, csr.member_label + m, csr.member_rows);
    auto runs = thrust::reduce_by_key(policy, csr.member_label, csr.member_label + m,
                                      thrust::constant_iterator<int64_t>(1), csr.group_label,
                                      csr.group_size);
    const int64_t g = runs.first - csr.group_label;
    *groups = g;
    thrust::exclusive_scan(policy, csr.group_size, csr.group_size + g, csr.group_offset);
    // The end of the last group.
    thrust::fill_n(policy, csr.group_offset + g, 1, m);
  });
}

cudaError_t group_sum_rows(const GroupCsr& csr, int64_t members, const int64_t* row_values,
                           int64_t* out, TempMemory& temp, cudaStream_t stream) {
  return reduce_members(csr, members, row_values, out, thrust::plus<int64_t>(), temp, stream);
}

cudaError_t group_sum_rows(const GroupCsr& csr, int64_t members, const double* row_values,
                           double* out, TempMemory& temp, cudaStream_t stream) {
  return reduce_members(csr, members, row_values, out, thrust::plus<double>(), temp, stream);
}

cudaError_t group_min_rows(const GroupCsr& csr, int64_t members, const float* row_values,
                           float* out, TempMemory& temp, cudaStream_t stream) {
  return reduce_members(csr, members, row_values, out, MinFloat(), temp, stream);
}

cudaError_t group_count_flags(const GroupCsr& csr, int64_t members, const uint8_t* row_flags,
                              int64_t* out, TempMemory& temp, cudaStream_t stream) {
  return reduce_members(csr, members, thrust::make_transform_iterator(row_flags, FlagToCount()),
                        out, thrust::plus<int64_t>(), temp, stream);
}

cudaError_t group_first_rows(const GroupCsr& csr, int64_t groups, int64_t* out,
                             cudaStream_t stream) {
  if (groups < 0 || (groups > 0 && (csr.group_offset == nullptr || out == nullptr))) {
    return cudaErrorInvalidValue;
  }
  if (groups == 0) return cudaSuccess;
  return thrust_status([&] {
    thrust::gather(thrust::cuda::par_nosync.on(stream), csr.group_offset, csr.group_offset + groups,
                   csr.member_rows, out);
  });
}

cudaError_t group_index_of_labels(const GroupCsr& csr, int64_t groups, int64_t rows,
                                  int32_t* group_of_label, cudaStream_t stream) {
  if (groups < 0 || rows < 0 || (rows > 0 && group_of_label == nullptr) ||
      (groups > 0 && csr.group_label == nullptr)) {
    return cudaErrorInvalidValue;
  }
  if (rows == 0) return cudaSuccess;
  return thrust_status([&] {
    const auto policy = thrust::cuda::par_nosync.on(stream);
    thrust::fill_n(policy, group_of_label, rows, int32_t{-1});
    thrust::scatter(policy, thrust::counting_iterator<int32_t>(0),
                    thrust::counting_iterator<int32_t>(static_cast<int32_t>(groups)),
                    csr.group_label, group_of_label);
  });
}

cudaError_t exclusive_scan_total(const int64_t* values, int64_t count, int64_t* out, int64_t* total,
                                 TempMemory& temp, cudaStream_t stream) {
  if (count < 0 || total == nullptr || (count > 0 && (values == nullptr || out == nullptr))) {
    return cudaErrorInvalidValue;
  }
  *total = 0;
  if (count == 0) return cudaSuccess;
  return thrust_status([&] {
    ThrustTempAllocator allocator(temp);
    thrust::exclusive_scan(thrust_policy(allocator, stream), values, values + count, out);
    int64_t last_offset = 0, last_value = 0;
    cudaError_t status = cudaMemcpyAsync(&last_offset, out + count - 1, sizeof(int64_t),
                                         cudaMemcpyDeviceToHost, stream);
    if (status == cudaSuccess) {
      status = cudaMemcpyAsync(&last_value, values + count - 1, sizeof(int64_t),
                               cudaMemcpyDeviceToHost, stream);
    }
    if (status == cudaSuccess) status = cudaStreamSynchronize(stream);
    if (status != cudaSuccess) throw thrust::system_error(status, thrust::cuda_category());
    *total = last_offset + last_value;
  });
}

}  // namespace unfriend::kernels
