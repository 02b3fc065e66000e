// The CUDA backend: every kernel against a CPU reference, the backend against the CPU backend,
// and the host-side planning logic. GPU cases call GTEST_SKIP() with the reason when no device
// is usable; the probe, planning, error-message and host re-scoring cases run everywhere.
#include <cuda_runtime_api.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cuda/cuda_backend.h"
#include "cuda/cuda_error.h"
#include "cuda/device_buffer.h"
#include "cuda/device_stack.h"
#include "cuda/device_stack_allocator.h"
#include "cuda/gpu_components.h"
#include "cuda/gpu_features.h"
#include "cuda/gpu_knn.h"
#include "cuda/gpu_resources.h"
#include "cuda/host_rescore.h"
#include "cuda/knn_plan.h"
#include "cuda/stack_arena.h"
#include "host/core/error.h"
#include "host/core/progress.h"
#include "host/cpu/components.h"
#include "host/cpu/cpu_backend.h"
#include "host/cpu/similarity.h"
#include "host/pipeline/preprocess.h"
#include "kernels/convert_rows.h"
#include "kernels/gather_rows.h"
#include "kernels/group_medians.h"
#include "kernels/kernel_types.h"
#include "kernels/random_rows.h"
#include "kernels/rescore.h"
#include "kernels/row_status.h"
#include "kernels/select_k.h"
#include "kernels/sequential_row_norms.h"
#include "kernels/standardize_rows.h"
#include "kernels/temp_memory.h"
#include "kernels/threshold_edges.h"
#include "kernels/union_find.h"
#include "tests/test_support.h"

namespace unfriend {
namespace {

using gpu::DeviceBuffer;
constexpr float kInf = std::numeric_limits<float>::infinity();

// ---------------------------------------------------------------------------------------------
// Helpers

std::string gpu_skip_reason() {
  std::string reason;
  if (cuda_device_usable(0, &reason)) return std::string();
  return "no usable GPU: " + reason;
}

#define SKIP_WITHOUT_GPU()                                           \
  do {                                                               \
    const std::string skip_reason_ = gpu_skip_reason();              \
    if (!skip_reason_.empty()) UNFRIEND_SKIP_GPU_CASE(skip_reason_); \
  } while (0)

template <typename T>
DeviceBuffer<T> to_device(const std::vector<T>& values) {
  DeviceBuffer<T> buffer(std::max<size_t>(values.size(), 1));
  if (!values.empty()) {
    UNFRIEND_CUDA_TRY(cudaMemcpy(buffer.data(), values.data(), values.size() * sizeof(T),
                                 cudaMemcpyHostToDevice));
  }
  return buffer;
}

template <typename T>
std::vector<T> to_host(const T* device, size_t count) {
  std::vector<T> values(count);
  if (count > 0) {
    UNFRIEND_CUDA_TRY(cudaMemcpy(values.data(), device, count * sizeof(T), cudaMemcpyDeviceToHost));
  }
  return values;
}

void synchronize() { UNFRIEND_CUDA_TRY(cudaDeviceSynchronize()); }

std::vector<float> normalized_rows(int64_t rows, int64_t cols, uint64_t seed) {
  std::vector<float> data = test::random_normal(rows, cols, seed);
  for (int64_t i = 0; i < rows; ++i) {
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += double(data[i * cols + c]) * data[i * cols + c];
    const float inv = static_cast<float>(1.0 / std::sqrt(sum));
    for (int64_t c = 0; c < cols; ++c) data[i * cols + c] *= inv;
  }
  return data;
}

/// IEEE round-to-nearest-even float -> binary16, written out independently of CUDA's headers.
uint16_t float_to_half_bits(float value) {
  uint32_t x;
  std::memcpy(&x, &value, sizeof(x));
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t exponent = (x >> 23) & 0xffu;
  const uint32_t mantissa = x & 0x7fffffu;
  if (exponent == 0xffu) return sign | (mantissa != 0 ? 0x7e00u : 0x7c00u);
  if (exponent == 0) return sign;  // float zero or subnormal: far below half's smallest value
  const uint32_t significand = mantissa | 0x800000u;  // 24 bits
  const int half_exponent = static_cast<int>(exponent) - 127 + 15;
  uint32_t shift, base;
  if (half_exponent >= 1) {
    shift = 13;
    base = static_cast<uint32_t>(half_exponent) << 10;
  } else {
    // Subnormal half: units of 2^-24.
    shift = static_cast<uint32_t>(14 - half_exponent);
    base = 0;
    if (shift > 25) return sign;
  }
  const uint32_t kept = (half_exponent >= 1 ? mantissa : significand) >> shift;
  const uint32_t rest = (half_exponent >= 1 ? mantissa : significand) & ((1u << shift) - 1u);
  const uint32_t halfway = 1u << (shift - 1);
  uint32_t bits = base + kept;
  if (rest > halfway || (rest == halfway && (kept & 1u))) ++bits;  // carries into the exponent
  if (bits >= 0x7c00u) bits = 0x7c00u;                             // overflow: infinity
  return static_cast<uint16_t>(sign | bits);
}

uint16_t float_to_bf16_bits(float value) {
  uint32_t x;
  std::memcpy(&x, &value, sizeof(x));
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // NaN
  const uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>((x + rounding) >> 16);
}

/// The (score desc, index asc) order of the kernels.
bool better(const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
  if (a.first != b.first) return a.first > b.first;
  return a.second < b.second;
}

/// Labels of an undirected graph's components, smallest index per component; -1 excluded.
std::vector<int64_t> reference_components(int64_t rows,
                                          const std::vector<std::pair<int, int>>& edges,
                                          const std::vector<uint8_t>& include) {
  std::vector<int64_t> parent(static_cast<size_t>(rows));
  std::iota(parent.begin(), parent.end(), 0);
  std::function<int64_t(int64_t)> find = [&](int64_t v) {
    while (parent[v] != v) v = parent[v] = parent[parent[v]];
    return v;
  };
  for (auto [a, b] : edges) {
    int64_t ra = find(a), rb = find(b);
    if (ra == rb) continue;
    if (ra < rb) std::swap(ra, rb);
    parent[ra] = rb;
  }
  std::vector<int64_t> labels(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) {
    labels[i] = (!include.empty() && include[i] == 0) ? -1 : find(i);
  }
  return labels;
}

// ---------------------------------------------------------------------------------------------
// Runs everywhere: the probe, error checks, planning, host re-scoring.

TEST(CudaProbe, NoUsableGpuGivesOneLineReasonAndFactoryThrows) {
  std::string reason;
  if (cuda_device_usable(0, &reason)) {
    GTEST_SKIP() << "a GPU is usable here (" << reason << "); this case is for machines without";
  }
  EXPECT_FALSE(reason.empty());
  EXPECT_EQ(reason.find('\n'), std::string::npos) << reason;
  BackendOptions options;
  try {
    make_cuda_backend(options);
    FAIL() << "make_cuda_backend succeeded without a usable GPU";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(reason), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  // Asking twice must give the same answer: a failed probe leaves nothing broken behind.
  std::string again;
  EXPECT_FALSE(cuda_device_usable(0, &again));
  EXPECT_EQ(again, reason);
}

TEST(CudaProbe, AbsentDeviceIsNotUsable) {
  std::string reason;
  EXPECT_FALSE(cuda_device_usable(4096, &reason));
  EXPECT_FALSE(reason.empty());
  EXPECT_EQ(reason.find('\n'), std::string::npos) << reason;
  EXPECT_FALSE(cuda_device_usable(-1, nullptr));
}

TEST(CudaErrors, RuntimeErrorNamesCallPlaceAndError) {
  auto failing_call = [] { return cudaErrorInvalidValue; };
  try {
    UNFRIEND_CUDA_TRY(failing_call());
    FAIL() << "no exception";
  } catch (const RuntimeFailure& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("failing_call()"), std::string::npos) << message;
    EXPECT_NE(message.find("cudaErrorInvalidValue"), std::string::npos) << message;
    EXPECT_NE(message.find(cudaGetErrorString(cudaErrorInvalidValue)), std::string::npos)
        << message;
    EXPECT_NE(message.find("test_cuda_kernels.cpp:"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  EXPECT_NO_THROW(UNFRIEND_CUDA_TRY(cudaSuccess));
}

TEST(CudaErrors, CublasErrorNamesStatus) {
  try {
    UNFRIEND_CUBLAS_TRY(CUBLAS_STATUS_NOT_INITIALIZED);
    FAIL() << "no exception";
  } catch (const RuntimeFailure& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("CUBLAS_STATUS_NOT_INITIALIZED"), std::string::npos) << message;
    EXPECT_NE(message.find("test_cuda_kernels.cpp:"), std::string::npos) << message;
  }
}

TEST(CudaErrors, NoThrowVariantReportsInsteadOfThrowing) {
  EXPECT_TRUE(UNFRIEND_CUDA_TRY_NO_THROW(cudaSuccess));
  bool ok = true;
  EXPECT_NO_THROW(ok = UNFRIEND_CUDA_TRY_NO_THROW(cudaErrorInvalidValue));
  EXPECT_FALSE(ok);
}

TEST(StackArena, HandsOutAlignedBlocksInStackOrder) {
  gpu::StackArena arena(10000);
  const size_t a = arena.push(1);
  const size_t b = arena.push(300);
  const size_t c = arena.push(256);
  EXPECT_EQ(a, 0u);
  EXPECT_EQ(b, 256u);
  EXPECT_EQ(c, 256u + 512u);
  EXPECT_EQ(arena.used(), 256u + 512u + 256u);
  EXPECT_EQ(arena.live_blocks(), 3u);
  // Out of order: b's space stays taken until c above it goes too.
  arena.release(b);
  EXPECT_EQ(arena.used(), 1024u);
  arena.release(c);
  EXPECT_EQ(arena.used(), 256u);
  EXPECT_EQ(arena.push(100), 256u);
  EXPECT_EQ(arena.peak(), 1024u);
}

TEST(StackArena, OverflowAndResizeWhileInUseThrow) {
  gpu::StackArena arena(1000);
  const size_t a = arena.push(700);
  EXPECT_THROW(arena.push(300), RuntimeFailure);  // 768 + 512 > 1000
  EXPECT_THROW(arena.reset(5000), RuntimeFailure);
  arena.release(a);
  EXPECT_NO_THROW(arena.reset(5000));
  EXPECT_EQ(arena.capacity(), 5000u);
  EXPECT_EQ(arena.used(), 0u);
}

TEST(KnnPlan, QueueLengthsCoverK) {
  EXPECT_EQ(kernels::select_queue_length(1), 32);
  EXPECT_EQ(kernels::select_queue_length(32), 32);
  EXPECT_EQ(kernels::select_queue_length(33), 64);
  EXPECT_EQ(kernels::select_queue_length(100), 128);
  EXPECT_EQ(kernels::select_queue_length(256), 256);
  EXPECT_EQ(kernels::select_queue_length(257), 0);
  EXPECT_EQ(kernels::select_queue_length(0), 0);
}

gpu::KnnPlanInput plan_input(int64_t rows, int64_t cols, int k, int64_t budget,
                             Metric metric = Metric::cosine) {
  gpu::KnnPlanInput input;
  input.rows = rows;
  input.cols = cols;
  input.k = k;
  input.metric = metric;
  input.budget_bytes = budget;
  return input;
}

void expect_plan_consistent(const gpu::KnnPlan& p, int64_t budget) {
  EXPECT_LE(p.device_bytes, budget);
  EXPECT_EQ(p.device_bytes, gpu::knn_plan_device_bytes(p));
  EXPECT_GE(p.query_rows, 1);
  EXPECT_GE(p.tile_cols, 1);
  EXPECT_LE(p.tile_cols, p.rows);
  EXPECT_GE(p.tile_ld, p.tile_cols);
  EXPECT_EQ(p.tile_ld % 32, 0);
  EXPECT_GE(p.padded_cols, p.cols);
  EXPECT_EQ(p.padded_cols % 8, 0);
  EXPECT_GE(p.queue_length, p.k);
  // 2k candidates wherever the longest queue allows, so re-scoring can repair the cut.
  EXPECT_GE(p.queue_length, std::min(2 * p.k, kernels::kMaxSelectQueue));
  EXPECT_GE(p.query_blocks * p.query_rows, p.rows);
  EXPECT_LT((p.query_blocks - 1) * p.query_rows, p.rows);
  if (p.streaming) {
    EXPECT_FALSE(p.rescore_on_device);
    EXPECT_LE(p.tile_cols, p.db_block_rows);
    EXPECT_GE(p.db_blocks * p.db_block_rows, p.rows);
  } else {
    EXPECT_EQ(p.db_blocks, 1);
  }
}

TEST(KnnPlan, ResidentWithDeviceRescoreWhenEverythingFits) {
  const int64_t budget = int64_t{8} << 30;
  gpu::KnnPlan p = gpu::plan_knn(plan_input(1000000, 100, 32, budget), CudaTuning());
  expect_plan_consistent(p, budget);
  EXPECT_FALSE(p.streaming);
  EXPECT_TRUE(p.rescore_on_device);
  EXPECT_TRUE(p.fp32_rows_resident);
  EXPECT_EQ(p.padded_cols, 104);
  EXPECT_EQ(p.queue_length, 64);  // 2k candidates at k = 32
  EXPECT_EQ(p.query_rows, 16384);
  EXPECT_EQ(p.tile_cols, 32768);
}

TEST(KnnPlan, FallsBackToHostRescoreThenStreaming) {
  const int64_t rows = 200000, cols = 64;
  // Half rows (25.6 MB) fit, fp32 rows (51.2 MB) on top do not.
  const int64_t budget_mid = 60 << 20;
  gpu::KnnPlan mid = gpu::plan_knn(plan_input(rows, cols, 10, budget_mid), CudaTuning());
  expect_plan_consistent(mid, budget_mid);
  EXPECT_FALSE(mid.streaming);
  EXPECT_FALSE(mid.rescore_on_device);
  const int64_t budget_small = 8 << 20;
  gpu::KnnPlan small = gpu::plan_knn(plan_input(rows, cols, 10, budget_small), CudaTuning());
  expect_plan_consistent(small, budget_small);
  EXPECT_TRUE(small.streaming);
  EXPECT_GT(small.db_blocks, 1);
}

TEST(KnnPlan, TuningForcesStreamingAndSmallBlocks) {
  CudaTuning tuning;
  tuning.force_streaming = true;
  tuning.max_query_rows = 50;
  tuning.max_tile_cols = 64;
  tuning.max_db_block_rows = 97;
  const int64_t budget = int64_t{1} << 30;
  gpu::KnnPlan p = gpu::plan_knn(plan_input(1001, 17, 7, budget, Metric::l2), tuning);
  expect_plan_consistent(p, budget);
  EXPECT_TRUE(p.streaming);
  EXPECT_EQ(p.query_rows, 50);
  EXPECT_EQ(p.db_block_rows, 97);
  EXPECT_EQ(p.tile_cols, 64);
  EXPECT_EQ(p.db_blocks, 11);
  EXPECT_EQ(p.query_blocks, 21);
  // Rows already on the device are never streamed.
  gpu::KnnPlanInput on_device = plan_input(1001, 17, 7, budget);
  on_device.rows_on_device = true;
  gpu::KnnPlan resident = gpu::plan_knn(on_device, tuning);
  EXPECT_FALSE(resident.streaming);
  EXPECT_TRUE(resident.rescore_on_device);
  EXPECT_FALSE(resident.fp32_rows_resident);
}

TEST(KnnPlan, RejectsImpossibleRequests) {
  EXPECT_THROW(gpu::plan_knn(plan_input(1000, 8, 300, 1 << 30), CudaTuning()), InputError);
  EXPECT_THROW(gpu::plan_knn(plan_input(1000, 8, 0, 1 << 30), CudaTuning()), InputError);
  try {
    gpu::plan_knn(plan_input(1000000, 128, 32, 4 << 10), CudaTuning());
    FAIL() << "a 4 KiB budget cannot hold any plan";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("too small"), std::string::npos) << e.what();
  }
}

TEST(KnnPlan, RandomRequestsAlwaysFitTheirBudget) {
  std::mt19937_64 rng(7);
  int planned = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    const int64_t rows = 2 + static_cast<int64_t>(rng() % 3000000);
    const int64_t cols = 1 + static_cast<int64_t>(rng() % 700);
    const int k = 1 + static_cast<int>(rng() % std::min<int64_t>(256, rows - 1));
    const int64_t budget = int64_t{1} << (16 + rng() % 20);
    const Metric metric = static_cast<Metric>(rng() % 3);
    CudaTuning tuning;
    tuning.force_streaming = rng() % 4 == 0;
    tuning.extra_candidates = static_cast<int>(rng() % 40);
    try {
      gpu::KnnPlan p = gpu::plan_knn(plan_input(rows, cols, k, budget, metric), tuning);
      expect_plan_consistent(p, budget);
      ++planned;
    } catch (const RuntimeFailure&) {
      // Budget too small for this shape: allowed, as long as plans that exist fit.
    }
    if (HasFailure()) {
      ADD_FAILURE() << "rows=" << rows << " cols=" << cols << " k=" << k << " budget=" << budget;
      return;
    }
  }
  EXPECT_GT(planned, 500);
}

TEST(EdgeTilePlan, FitsBudgetAndHonoursTuning) {
  CudaTuning tuning;
  gpu::EdgeTilePlan p = gpu::plan_edge_tiles(3000000, 32, true, int64_t{1} << 30, tuning);
  EXPECT_LE(p.device_bytes, int64_t{1} << 30);
  EXPECT_EQ(p.max_capacity, p.tile_rows * 32);
  EXPECT_LE(p.initial_capacity, p.max_capacity);
  EXPECT_GE(p.initial_capacity, 1);
  tuning.edge_tile_rows = 100;
  tuning.initial_edge_capacity = 3;
  gpu::EdgeTilePlan forced = gpu::plan_edge_tiles(5000, 8, false, int64_t{1} << 30, tuning);
  EXPECT_EQ(forced.tile_rows, 100);
  EXPECT_EQ(forced.initial_capacity, 3);
  EXPECT_THROW(gpu::plan_edge_tiles(100000000, 32, true, 1 << 20, CudaTuning()), RuntimeFailure);
}

TEST(ConversionScale, BringsTheLargestValueNearTwoToTheFourteen) {
  for (float max_abs : {1e-30f, 1e-6f, 0.3f, 1.f, 1.5f, 70000.f, 3e38f}) {
    const float scale = gpu::conversion_scale(max_abs);
    int exponent = 0;
    EXPECT_EQ(std::frexp(scale, &exponent), 0.5f) << "not a power of two: " << scale;
    const double scaled = static_cast<double>(max_abs) * scale;
    EXPECT_LT(scaled, 16384.0) << max_abs;
    EXPECT_GE(scaled, 8192.0) << max_abs;
  }
  EXPECT_EQ(gpu::conversion_scale(0.f), 1.f);
}

TEST(HostRescore, KeepsBestKInCanonicalOrderWithPadding) {
  const int64_t rows = 300, dims = 9;
  std::vector<float> data = test::random_normal(rows, dims, 11);
  // Rows 5 and 6 duplicate row 4: equal similarities, resolved by index.
  std::copy_n(data.data() + 4 * dims, dims, data.data() + 5 * dims);
  std::copy_n(data.data() + 4 * dims, dims, data.data() + 6 * dims);
  const MatrixView view{data.data(), rows, dims};
  const int queue = 32, k = 7;
  const int64_t first = 3, count = 40;
  std::mt19937 rng(5);
  std::vector<int32_t> candidates(static_cast<size_t>(count * queue), kernels::kPadIndex);
  for (int64_t q = 0; q < count; ++q) {
    // Row q gets q % 12 candidates (some rows fewer than k), always including rows 4..6.
    std::vector<int32_t> pool(rows);
    std::iota(pool.begin(), pool.end(), 0);
    std::shuffle(pool.begin(), pool.end(), rng);
    int filled = 0;
    for (int32_t j : {4, 5, 6}) {
      if (j != first + q) candidates[q * queue + filled++] = j;
    }
    for (int32_t j : pool) {
      if (filled >= static_cast<int>(q % 12)) break;
      if (j == first + q || (j >= 4 && j <= 6)) continue;
      candidates[q * queue + filled++] = j;
    }
  }
  std::vector<int64_t> neighbors(static_cast<size_t>(count * k));
  std::vector<float> similarity(static_cast<size_t>(count * k));
  for (Metric metric : {Metric::inner_product, Metric::l2}) {
    gpu::rescore_on_host(view, metric, first, count, candidates.data(), queue, k, neighbors.data(),
                         similarity.data(), 3);
    for (int64_t q = 0; q < count; ++q) {
      std::vector<std::pair<float, int64_t>> expected;
      for (int j = 0; j < queue; ++j) {
        const int32_t c = candidates[q * queue + j];
        if (c == kernels::kPadIndex) continue;
        expected.emplace_back(
            static_cast<float>(pair_similarity(view.row(first + q), view.row(c), dims, metric)), c);
      }
      std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
      });
      for (int j = 0; j < k; ++j) {
        if (j < static_cast<int>(expected.size())) {
          EXPECT_EQ(neighbors[q * k + j], expected[j].second) << "row " << q << " slot " << j;
          EXPECT_EQ(similarity[q * k + j], expected[j].first);
        } else {
          EXPECT_EQ(neighbors[q * k + j], -1);
          EXPECT_EQ(similarity[q * k + j], -kInf);
        }
      }
    }
  }
}

TEST(HalfReference, KnownValues) {
  // The reference itself, on values whose binary16 / bfloat16 encodings are known.
  EXPECT_EQ(float_to_half_bits(1.f), 0x3c00);
  EXPECT_EQ(float_to_half_bits(-2.f), 0xc000);
  EXPECT_EQ(float_to_half_bits(65504.f), 0x7bff);
  EXPECT_EQ(float_to_half_bits(65519.f), 0x7bff);                     // below the rounding boundary
  EXPECT_EQ(float_to_half_bits(65520.f), 0x7c00);                     // rounds to infinity
  EXPECT_EQ(float_to_half_bits(std::ldexp(1.f, -24)), 0x0001);        // smallest subnormal
  EXPECT_EQ(float_to_half_bits(std::ldexp(1.f, -25)), 0x0000);        // tie to even: zero
  EXPECT_EQ(float_to_half_bits(std::ldexp(3.f, -25)), 0x0002);        // tie to even: 2
  EXPECT_EQ(float_to_half_bits(1.f + std::ldexp(1.f, -11)), 0x3c00);  // tie to even
  EXPECT_EQ(float_to_half_bits(1.f + std::ldexp(3.f, -11)), 0x3c02);
  EXPECT_EQ(float_to_bf16_bits(1.f), 0x3f80);
  EXPECT_EQ(float_to_bf16_bits(1.f + std::ldexp(1.f, -8)), 0x3f80);  // tie to even
  EXPECT_EQ(float_to_bf16_bits(1.f + std::ldexp(3.f, -8)), 0x3f82);
}

// ---------------------------------------------------------------------------------------------
// Kernels against CPU references (GPU only).

struct SelectCase {
  int k;
  int cols;
};

class SelectK : public ::testing::TestWithParam<SelectCase> {};

TEST_P(SelectK, MatchesPartialSortWithTies) {
  SKIP_WITHOUT_GPU();
  const auto [k, cols] = GetParam();
  const int rows = 37;
  const int queue = kernels::select_queue_length(k);
  const int64_t ld = cols + 3;  // row stride not equal to the width
  std::mt19937 rng(static_cast<unsigned>(k * 7919 + cols));
  // Small integer scores: many exact ties, resolved by index.
  std::uniform_int_distribution<int> small(-20, 20);
  std::vector<float> tile(static_cast<size_t>(rows * ld), 99.f);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) tile[r * ld + c] = static_cast<float>(small(rng));
  }
  if (cols > 5) tile[2 * ld + 5] = kInf;  // extreme values are ordinary candidates
  if (cols > 6) tile[3 * ld + 6] = -kInf;
  const int64_t col_base = 1000;
  DeviceBuffer<float> d_tile = to_device(tile);
  DeviceBuffer<float> d_values(static_cast<size_t>(rows * queue));
  DeviceBuffer<int32_t> d_indices(static_cast<size_t>(rows * queue));
  kernels::SelectTileArgs args;
  args.tile = d_tile.data();
  args.ld = ld;
  args.rows = rows;
  args.cols = cols;
  args.row_base = 0;
  args.col_base = col_base;
  args.run_values = d_values.data();
  args.run_indices = d_indices.data();
  UNFRIEND_CUDA_TRY(kernels::select_tile(args, queue, nullptr));
  synchronize();
  std::vector<float> values = to_host(d_values.data(), d_values.size());
  std::vector<int32_t> indices = to_host(d_indices.data(), d_indices.size());
  for (int r = 0; r < rows; ++r) {
    std::vector<std::pair<float, int32_t>> expected;
    for (int c = 0; c < cols; ++c) {
      expected.emplace_back(tile[r * ld + c], static_cast<int32_t>(col_base + c));
    }
    const int take = std::min<int>(queue, cols);
    std::partial_sort(expected.begin(), expected.begin() + take, expected.end(), better);
    for (int e = 0; e < queue; ++e) {
      const float v = values[r * queue + e];
      const int32_t i = indices[r * queue + e];
      if (e < take) {
        ASSERT_EQ(i, expected[e].second) << "row " << r << " rank " << e;
        ASSERT_EQ(v, expected[e].first) << "row " << r << " rank " << e;
      } else {
        ASSERT_EQ(i, kernels::kPadIndex) << "row " << r << " rank " << e;
        ASSERT_EQ(v, -kInf);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SelectK,
    ::testing::Values(SelectCase{1, 1}, SelectCase{1, 1000}, SelectCase{7, 5}, SelectCase{7, 333},
                      SelectCase{32, 31}, SelectCase{32, 4099}, SelectCase{100, 65},
                      SelectCase{100, 2021}, SelectCase{256, 200}, SelectCase{256, 5003}),
    [](const auto& info) {
      return "k" + std::to_string(info.param.k) + "_cols" + std::to_string(info.param.cols);
    });

TEST(SelectKMerge, TilesMergedIntoRunningListEqualOneShotSelection) {
  SKIP_WITHOUT_GPU();
  // Square problem: query row r is database row r, so self-exclusion applies; l2 norms on.
  const int rows = 70, total_cols = 70, k = 40;
  const int queue = kernels::select_queue_length(k);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  std::vector<float> scores(static_cast<size_t>(rows * total_cols));
  for (float& s : scores) s = std::round(uniform(rng) * 8.f) / 8.f;  // ties again
  std::vector<float> norms(total_cols);
  for (float& n : norms) n = std::round(uniform(rng) * 4.f + 4.f) / 4.f;
  DeviceBuffer<float> d_scores = to_device(scores);
  DeviceBuffer<float> d_norms = to_device(norms);
  DeviceBuffer<float> d_values(static_cast<size_t>(rows * queue));
  DeviceBuffer<int32_t> d_indices(static_cast<size_t>(rows * queue));
  // Three tiles of uneven width, the later ones seeded with the running list.
  const int bounds[] = {0, 33, 34, total_cols};
  for (int t = 0; t < 3; ++t) {
    kernels::SelectTileArgs args;
    args.tile = d_scores.data() + bounds[t];
    args.ld = total_cols;
    args.rows = rows;
    args.cols = bounds[t + 1] - bounds[t];
    args.row_base = 0;
    args.col_base = bounds[t];
    args.skip_self = true;
    args.col_sq_norms = d_norms.data() + bounds[t];
    args.run_values = d_values.data();
    args.run_indices = d_indices.data();
    args.seeded = t > 0;
    UNFRIEND_CUDA_TRY(kernels::select_tile(args, queue, nullptr));
  }
  synchronize();
  std::vector<float> values = to_host(d_values.data(), d_values.size());
  std::vector<int32_t> indices = to_host(d_indices.data(), d_indices.size());
  for (int r = 0; r < rows; ++r) {
    std::vector<std::pair<float, int32_t>> expected;
    for (int c = 0; c < total_cols; ++c) {
      if (c == r) continue;
      expected.emplace_back(2.f * scores[r * total_cols + c] - norms[c], c);
    }
    std::sort(expected.begin(), expected.end(), better);
    for (int e = 0; e < queue; ++e) {
      if (e < static_cast<int>(expected.size())) {
        ASSERT_EQ(indices[r * queue + e], expected[e].second) << "row " << r << " rank " << e;
        ASSERT_EQ(values[r * queue + e], expected[e].first);
      } else {
        ASSERT_EQ(indices[r * queue + e], kernels::kPadIndex);
      }
    }
  }
}

TEST(ConvertRows, Fp16AndBf16AreRoundedToNearestEvenWithZeroPadding) {
  SKIP_WITHOUT_GPU();
  const int64_t rows = 45, cols = 37, ld_out = 40;
  std::vector<float> data = test::random_normal(rows, cols, 9);
  std::mt19937 rng(1);
  for (float& x : data) x *= std::ldexp(1.f, static_cast<int>(rng() % 40) - 26);  // wide range
  data[0] = 65504.f;
  data[1] = 65519.f;
  data[2] = 70000.f;  // overflows fp16 (the backend's scaling prevents this in use)
  data[3] = std::ldexp(3.f, -25);
  data[4] = -0.f;
  DeviceBuffer<float> d_in = to_device(data);
  DeviceBuffer<uint16_t> d_out(static_cast<size_t>(rows * ld_out));
  DeviceBuffer<float> d_norms(static_cast<size_t>(rows));
  for (kernels::ReducedType type : {kernels::ReducedType::fp16, kernels::ReducedType::bf16}) {
    for (float scale : {1.f, 0.25f}) {
      UNFRIEND_CUDA_TRY(kernels::convert_rows(d_in.data(), rows, cols, cols, d_out.data(), ld_out,
                                              type, scale, d_norms.data(), nullptr));
      synchronize();
      std::vector<uint16_t> out = to_host(d_out.data(), d_out.size());
      std::vector<float> norms = to_host(d_norms.data(), d_norms.size());
      for (int64_t r = 0; r < rows; ++r) {
        double norm = 0;
        for (int64_t c = 0; c < ld_out; ++c) {
          const float x = c < cols ? scale * data[r * cols + c] : 0.f;
          norm += static_cast<double>(x) * x;
          const uint16_t expected =
              type == kernels::ReducedType::fp16 ? float_to_half_bits(x) : float_to_bf16_bits(x);
          ASSERT_EQ(out[r * ld_out + c], expected) << "row " << r << " col " << c << " x=" << x;
        }
        // fp32 sum of squares of up to 40 terms: relative error below 40 * 2^-24.
        EXPECT_NEAR(norms[r], norm, norm * 40 * std::ldexp(1.0, -24) + 1e-30) << "row " << r;
      }
    }
  }
}

TEST(RescoreKernel, MatchesHostRescoreExactly) {
  SKIP_WITHOUT_GPU();
  const int64_t rows = 500, dims = 70;
  std::vector<float> data = test::random_normal(rows, dims, 21);
  const int k = 50;
  const int queue = kernels::select_queue_length(k);
  const int64_t first = 123, count = 77;
  std::mt19937 rng(3);
  std::vector<int32_t> candidates(static_cast<size_t>(count * queue), kernels::kPadIndex);
  for (int64_t q = 0; q < count; ++q) {
    std::vector<int32_t> pool(rows);
    std::iota(pool.begin(), pool.end(), 0);
    std::shuffle(pool.begin(), pool.end(), rng);
    const int wanted = static_cast<int>(q % (queue + 1));  // 0 .. queue candidates
    int filled = 0;
    for (int32_t j : pool) {
      if (filled == wanted) break;
      if (j != first + q) candidates[q * queue + filled++] = j;
    }
    std::shuffle(candidates.begin() + q * queue, candidates.begin() + (q + 1) * queue, rng);
  }
  DeviceBuffer<float> d_data = to_device(data);
  DeviceBuffer<int32_t> d_candidates = to_device(candidates);
  DeviceBuffer<int64_t> d_indices(static_cast<size_t>(count * k));
  DeviceBuffer<float> d_similarity(static_cast<size_t>(count * k));
  for (Metric metric : {Metric::cosine, Metric::l2}) {
    kernels::RescoreArgs args;
    args.queries = d_data.data() + first * dims;
    args.database = d_data.data();
    args.database_rows = rows;
    args.dims = dims;
    args.rows = static_cast<int>(count);
    args.candidates = d_candidates.data();
    args.score =
        metric == Metric::l2 ? kernels::ScoreKind::negative_squared_l2 : kernels::ScoreKind::dot;
    args.k = k;
    args.out_indices = d_indices.data();
    args.out_similarity = d_similarity.data();
    UNFRIEND_CUDA_TRY(kernels::rescore_candidates(args, queue, nullptr));
    synchronize();
    std::vector<int64_t> gpu_indices = to_host(d_indices.data(), d_indices.size());
    std::vector<float> gpu_similarity = to_host(d_similarity.data(), d_similarity.size());
    std::vector<int64_t> cpu_indices(gpu_indices.size());
    std::vector<float> cpu_similarity(gpu_similarity.size());
    gpu::rescore_on_host(MatrixView{data.data(), rows, dims}, metric, first, count,
                         candidates.data(), queue, k, cpu_indices.data(), cpu_similarity.data(), 2);
    for (size_t e = 0; e < gpu_indices.size(); ++e) {
      // Both round a double sum to float; the sums differ only in the order of additions
      // (~1e-16 relative), so the floats agree except across a rounding boundary.
      ASSERT_EQ(gpu_indices[e], cpu_indices[e]) << "entry " << e;
      ASSERT_FLOAT_EQ(gpu_similarity[e], cpu_similarity[e]) << "entry " << e;
    }
  }
}

struct Edge {
  int32_t from, to;
  bool operator<(const Edge& o) const { return from != o.from ? from < o.from : to < o.to; }
  bool operator==(const Edge& o) const { return from == o.from && to == o.to; }
};

TEST(ThresholdEdges, TinyBufferOverflowIsCountedAndRetriedWithoutLoss) {
  SKIP_WITHOUT_GPU();
  const int64_t total_rows = 600, rows = 250, row_base = 100;
  const int k = 9;
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> uniform(0.f, 1.f);
  std::vector<int64_t> neighbors(static_cast<size_t>(rows * k));
  std::vector<float> similarity(neighbors.size());
  for (size_t e = 0; e < neighbors.size(); ++e) {
    neighbors[e] = rng() % 11 == 0 ? -1 : static_cast<int64_t>(rng() % total_rows);
    similarity[e] = rng() % 13 == 0 ? std::nanf("") : uniform(rng);
  }
  std::vector<uint8_t> include(total_rows);
  for (auto& v : include) v = rng() % 5 != 0;
  const float threshold = 0.4f;
  std::vector<Edge> expected;
  for (int64_t r = 0; r < rows; ++r) {
    for (int j = 0; j < k; ++j) {
      const int64_t i = row_base + r, n = neighbors[r * k + j];
      if (n >= 0 && include[i] && include[n] && similarity[r * k + j] >= threshold) {
        expected.push_back({static_cast<int32_t>(i), static_cast<int32_t>(n)});
      }
    }
  }
  std::sort(expected.begin(), expected.end());
  ASSERT_GT(expected.size(), 100u);

  DeviceBuffer<int64_t> d_neighbors = to_device(neighbors);
  DeviceBuffer<float> d_similarity = to_device(similarity);
  DeviceBuffer<uint8_t> d_include = to_device(include);
  DeviceBuffer<unsigned long long> d_counters(2);
  auto run = [&](int64_t capacity, std::vector<int32_t>* edges_out) {
    DeviceBuffer<int32_t> d_edges(static_cast<size_t>(std::max<int64_t>(1, 2 * capacity)));
    const unsigned long long init[2] = {0, ~0ull};
    UNFRIEND_CUDA_TRY(cudaMemcpy(d_counters.data(), init, sizeof(init), cudaMemcpyHostToDevice));
    kernels::ThresholdEdgesArgs args;
    args.tile.neighbors = d_neighbors.data();
    args.tile.values = d_similarity.data();
    args.tile.rows = rows;
    args.tile.k = k;
    args.tile.row_base = row_base;
    args.tile.total_rows = total_rows;
    args.include = d_include.data();
    args.min_similarity = threshold;
    args.edges = d_edges.data();
    args.capacity = capacity;
    args.edge_count = d_counters.data();
    args.first_invalid = d_counters.data() + 1;
    UNFRIEND_CUDA_TRY(kernels::threshold_edges(args, nullptr));
    synchronize();
    std::vector<unsigned long long> counters = to_host(d_counters.data(), 2);
    EXPECT_EQ(counters[1], ~0ull) << "no entry is invalid";
    *edges_out = to_host(
        d_edges.data(),
        static_cast<size_t>(2 * std::min<int64_t>(capacity, static_cast<int64_t>(counters[0]))));
    return static_cast<int64_t>(counters[0]);
  };
  // Deliberately tiny buffer: the count is still exact and what was written is genuine.
  std::vector<int32_t> partial;
  const int64_t counted = run(5, &partial);
  EXPECT_EQ(counted, static_cast<int64_t>(expected.size()));
  ASSERT_EQ(partial.size(), 10u);
  for (size_t e = 0; e < 5; ++e) {
    EXPECT_TRUE(std::binary_search(expected.begin(), expected.end(),
                                   Edge{partial[2 * e], partial[2 * e + 1]}));
  }
  // The retry with the exact size loses nothing.
  std::vector<int32_t> full;
  EXPECT_EQ(run(counted, &full), counted);
  std::vector<Edge> got;
  for (size_t e = 0; e + 1 < full.size(); e += 2) got.push_back({full[e], full[e + 1]});
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, expected);
}

TEST(ThresholdEdges, ReportsFirstOutOfRangeNeighbour) {
  SKIP_WITHOUT_GPU();
  const int k = 4;
  std::vector<int64_t> neighbors = {1, 2, -1, 3, 0, 77, 2, 99, 1, 2, 3, 4};
  std::vector<float> similarity(neighbors.size(), 1.f);
  DeviceBuffer<int64_t> d_neighbors = to_device(neighbors);
  DeviceBuffer<float> d_similarity = to_device(similarity);
  DeviceBuffer<int32_t> d_edges(64);
  DeviceBuffer<unsigned long long> d_counters(2);
  const unsigned long long init[2] = {0, ~0ull};
  UNFRIEND_CUDA_TRY(cudaMemcpy(d_counters.data(), init, sizeof(init), cudaMemcpyHostToDevice));
  kernels::ThresholdEdgesArgs args;
  args.tile.neighbors = d_neighbors.data();
  args.tile.values = d_similarity.data();
  args.tile.rows = 3;
  args.tile.k = k;
  args.tile.total_rows = 5;
  args.edges = d_edges.data();
  args.capacity = 32;
  args.edge_count = d_counters.data();
  args.first_invalid = d_counters.data() + 1;
  UNFRIEND_CUDA_TRY(kernels::threshold_edges(args, nullptr));
  synchronize();
  std::vector<unsigned long long> counters = to_host(d_counters.data(), 2);
  EXPECT_EQ(counters[1], 5u);  // row 1, slot 1 (77); row 1 slot 3 (99) comes later
}

TEST(UnionFind, MatchesCpuUnionFindAcrossHookBatches) {
  SKIP_WITHOUT_GPU();
  const int64_t rows = 10007;
  std::mt19937 rng(99);
  std::vector<std::pair<int, int>> edges;
  // Chains, stars and random pairs: long paths stress the concurrent hooking.
  for (int i = 0; i + 1 < 3000; ++i) edges.emplace_back(i + 1, i);
  for (int i = 0; i < 2000; ++i) edges.emplace_back(5000, 5001 + i);
  for (int i = 0; i < 1500; ++i) edges.emplace_back(rng() % rows, rng() % rows);
  std::shuffle(edges.begin(), edges.end(), rng);
  std::vector<uint8_t> include(rows);
  for (auto& v : include) v = rng() % 7 != 0;
  std::vector<std::pair<int, int>> included_edges;
  for (auto [a, b] : edges) {
    if (include[a] && include[b]) included_edges.push_back({a, b});
  }
  std::vector<int32_t> flat;
  for (auto [a, b] : included_edges) {
    flat.push_back(a);
    flat.push_back(b);
  }
  DeviceBuffer<int32_t> d_edges = to_device(flat);
  DeviceBuffer<int32_t> d_parent(rows);
  DeviceBuffer<uint8_t> d_include = to_device(include);
  DeviceBuffer<int64_t> d_labels(rows);
  UNFRIEND_CUDA_TRY(kernels::union_find_init(d_parent.data(), rows, nullptr));
  const int64_t total = static_cast<int64_t>(included_edges.size());
  const int64_t half = total / 2;
  UNFRIEND_CUDA_TRY(kernels::union_find_hook(d_edges.data(), half, d_parent.data(), nullptr));
  UNFRIEND_CUDA_TRY(
      kernels::union_find_hook(d_edges.data() + 2 * half, total - half, d_parent.data(), nullptr));
  UNFRIEND_CUDA_TRY(kernels::union_find_labels(d_parent.data(), rows, d_include.data(),
                                               d_labels.data(), nullptr));
  synchronize();
  EXPECT_EQ(to_host(d_labels.data(), rows), reference_components(rows, included_edges, include));
}

TEST(RandomRows, DeterministicAndRoughlyStandardNormal) {
  SKIP_WITHOUT_GPU();
  const int64_t count = 1 << 20;
  DeviceBuffer<float> a(count), b(count);
  UNFRIEND_CUDA_TRY(kernels::random_normal(a.data(), count, 5, nullptr));
  UNFRIEND_CUDA_TRY(kernels::random_normal(b.data(), count, 5, nullptr));
  synchronize();
  std::vector<float> x = to_host(a.data(), count);
  EXPECT_EQ(x, to_host(b.data(), count));
  double mean = 0, var = 0;
  for (float v : x) mean += v;
  mean /= count;
  for (float v : x) var += (v - mean) * (v - mean);
  var /= count;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(var, 1.0, 0.01);
}

TEST(ThrustTemporaries, ComeFromTheStackAndATinyBudgetFailsWithRuntimeFailure) {
  SKIP_WITHOUT_GPU();
  const int64_t count = 100003;
  std::mt19937_64 rng(17);
  std::vector<uint64_t> keys(static_cast<size_t>(count));
  for (auto& key : keys) key = rng() % 5000;  // many repeats for unique
  std::vector<uint64_t> want = keys;
  std::sort(want.begin(), want.end());
  want.erase(std::unique(want.begin(), want.end()), want.end());
  {
    // A budget with no room for the sort's temporaries: the stack's RuntimeFailure reaches the
    // caller through Thrust, and every block Thrust took is given back.
    gpu::DeviceStack stack;
    if (!stack.direct()) {  // sanitizer mode has no budget to exhaust
      stack.reserve(4096);
      gpu::DeviceStackAllocator temp(stack);
      DeviceBuffer<uint64_t> d_keys = to_device(keys);
      int64_t kept = 0;
      try {
        const cudaError_t status =
            kernels::sort_keys(d_keys.data(), count, true, &kept, temp, nullptr);
        FAIL() << "a 4 KiB budget held the temporaries of sorting " << count << " keys (status "
               << cudaGetErrorName(status) << ")";
      } catch (const RuntimeFailure& e) {
        EXPECT_NE(std::string(e.what()).find("GPU stack"), std::string::npos) << e.what();
      }
      EXPECT_EQ(temp.live_blocks(), 0u);
      EXPECT_EQ(stack.used(), 0u);
      EXPECT_EQ(cudaGetLastError(), cudaSuccess);
    }
  }
  {
    // The share the memory plans reserve is enough, and is all given back.
    gpu::DeviceStack stack;
    stack.reserve(static_cast<size_t>(kernels::thrust_temp_bytes(count, 8)));
    gpu::DeviceStackAllocator temp(stack);
    DeviceBuffer<uint64_t> d_keys = to_device(keys);
    int64_t kept = 0;
    UNFRIEND_CUDA_TRY(kernels::sort_keys(d_keys.data(), count, true, &kept, temp, nullptr));
    synchronize();
    ASSERT_EQ(kept, static_cast<int64_t>(want.size()));
    EXPECT_EQ(to_host(d_keys.data(), static_cast<size_t>(kept)), want);
    if (!stack.direct()) EXPECT_GT(stack.peak(), 0u);
    EXPECT_EQ(temp.live_blocks(), 0u);
    EXPECT_EQ(stack.used(), 0u);
  }
}

// ---------------------------------------------------------------------------------------------
// The backend against the CPU backend.

/// How far a GPU candidate score can be from the exact one, for rows x, y with
/// |x| = norm_x, |y| <= max_norm_y, over `dims` dimensions.
///
/// With u = 2^-11 (fp16: 11 significand bits, round to nearest) each converted element is
/// x_i (1 + d_i) with |d_i| <= u; the power-of-two scaling keeps every element away from fp16's
/// subnormals and overflow, so the bound holds for all of them. A product of two 11-bit
/// significands has at most 22 bits and is exact in fp32, so the only other error is the fp32
/// accumulation of the tensor cores, at most dims * 2^-23 of sum |x_i y_i| (recursive-summation
/// bound with one rounding - or truncation, on some tensor cores - per addition). Together:
///   |s~ - s| <= sum |x_i y_i| (2u + u^2) + dims 2^-23 (1 + u)^2 sum |x_i y_i|
///            <= (2^-10 + 2^-22 + 1.01 dims 2^-23) |x| |y|          (Cauchy-Schwarz).
/// For unit rows and dims = 64 that is 9.85e-4. A typical error is far smaller: the rounding
/// errors are independent with standard deviation u / sqrt(3), so with entries of size
/// ~1/sqrt(dims) the error's standard deviation is about u sqrt(2/3) / sqrt(dims) (5e-5 at
/// dims = 64, 20x below the bound). The worst case is used so that the test cannot flake.
/// bf16 has 8 significand bits: u = 2^-8, and 8 x 8-bit products are still exact in fp32.
/// For l2 the ranked score is 2 s - |y|^2 with |y|^2 summed in fp32: twice the dot error plus
/// dims 2^-24 |y|^2.
double score_error_bound(double norm_x, double max_norm_y, int64_t dims, Metric metric,
                         GemmPrecision precision) {
  const double u = precision == GemmPrecision::fp16 ? std::ldexp(1.0, -11) : std::ldexp(1.0, -8);
  const double dot = (2 * u + u * u + 1.01 * static_cast<double>(dims) * std::ldexp(1.0, -23)) *
                     norm_x * max_norm_y;
  if (metric != Metric::l2) return dot;
  return 2 * dot + static_cast<double>(dims) * std::ldexp(1.0, -24) * max_norm_y * max_norm_y;
}

/// Checks a GPU graph against the CPU graph of the same data. Exact: structure, canonical
/// order, no self, and every GPU similarity equal to the exact similarity of its pair. Tolerant:
/// the m-th similarity of a row may be lower than the CPU's m-th by at most twice the score
/// error bound (a true neighbour is missed only for a candidate whose approximate score beat
/// it, i.e. whose exact score is within 2e of it) - so neighbour choice differs only near ties.
void expect_graphs_agree(const KnnGraph& gpu_graph, const KnnGraph& cpu_graph, MatrixView data,
                         Metric metric, GemmPrecision precision) {
  ASSERT_EQ(gpu_graph.rows, cpu_graph.rows);
  ASSERT_EQ(gpu_graph.k, cpu_graph.k);
  ASSERT_EQ(gpu_graph.neighbors.size(), static_cast<size_t>(gpu_graph.rows * gpu_graph.k));
  ASSERT_EQ(gpu_graph.similarity.size(), gpu_graph.neighbors.size());
  const int k = gpu_graph.k;
  std::vector<double> norms(static_cast<size_t>(data.rows));
  double max_norm = 0;
  for (int64_t i = 0; i < data.rows; ++i) {
    double s = 0;
    for (int64_t c = 0; c < data.cols; ++c) s += double(data.row(i)[c]) * data.row(i)[c];
    norms[i] = std::sqrt(s);
    max_norm = std::max(max_norm, norms[i]);
  }
  int differing_rows = 0;
  for (int64_t i = 0; i < gpu_graph.rows; ++i) {
    const int64_t* nb = gpu_graph.neighbors_of(i);
    const float* sim = gpu_graph.similarity_of(i);
    const int64_t* cpu_nb = cpu_graph.neighbors_of(i);
    const float* cpu_sim = cpu_graph.similarity_of(i);
    const double tolerance =
        2 * score_error_bound(norms[i], max_norm, data.cols, metric, precision);
    std::set<int64_t> seen;
    bool differs = false;
    for (int j = 0; j < k; ++j) {
      ASSERT_EQ(nb[j] < 0, cpu_nb[j] < 0) << "padding differs at row " << i << " slot " << j;
      if (nb[j] < 0) {
        ASSERT_EQ(nb[j], -1);
        ASSERT_EQ(sim[j], -kInf);
        continue;
      }
      ASSERT_LT(nb[j], data.rows);
      ASSERT_NE(nb[j], i) << "self-match in row " << i;
      ASSERT_TRUE(seen.insert(nb[j]).second) << "repeated neighbour in row " << i;
      const float exact =
          static_cast<float>(pair_similarity(data.row(i), data.row(nb[j]), data.cols, metric));
      ASSERT_FLOAT_EQ(sim[j], exact) << "row " << i << " neighbour " << nb[j];
      if (j > 0 && nb[j - 1] >= 0) {
        ASSERT_TRUE(sim[j - 1] > sim[j] || (sim[j - 1] == sim[j] && nb[j - 1] < nb[j]))
            << "row " << i << " not in canonical order at slot " << j;
      }
      const double slack = 1e-6 * std::max(1.0, std::fabs(double(cpu_sim[j])));
      ASSERT_LE(sim[j], cpu_sim[j] + slack) << "GPU beat the exact optimum at row " << i;
      ASSERT_GE(sim[j], cpu_sim[j] - tolerance - slack)
          << "row " << i << " slot " << j << ": GPU " << sim[j] << " (" << nb[j] << ") vs CPU "
          << cpu_sim[j] << " (" << cpu_nb[j] << "), tolerance " << tolerance;
      differs = differs || nb[j] != cpu_nb[j];
    }
    differing_rows += differs;
  }
  // Near-ties are rare in random data: most rows must agree exactly.
  EXPECT_LE(differing_rows, std::max<int64_t>(2, gpu_graph.rows / 10));
}

std::vector<float> test_rows(int64_t rows, int64_t cols, Metric metric, uint64_t seed) {
  std::vector<float> data = metric == Metric::cosine ? normalized_rows(rows, cols, seed)
                                                     : test::random_normal(rows, cols, seed);
  if (metric == Metric::inner_product) {
    for (float& x : data) x *= 3.f;
  }
  // A few exact duplicates: equal similarities, ordered by index on both backends.
  for (int64_t i = 1; i < rows && i < 4; ++i) {
    std::copy_n(data.data(), cols, data.data() + (rows - i) * cols);
  }
  return data;
}

KnnGraph cpu_graph(MatrixView view, int k, Metric metric) {
  KnnParams params;
  params.k = k;
  params.metric = metric;
  params.mode = KnnMode::exact;
  return make_cpu_backend(BackendOptions())->knn_graph(view, params, nullptr);
}

struct BackendCase {
  int64_t rows;
  int64_t cols;
  int k;
  Metric metric;
};

class CudaBackendKnn : public ::testing::TestWithParam<BackendCase> {};

TEST_P(CudaBackendKnn, MatchesCpuBackend) {
  SKIP_WITHOUT_GPU();
  const BackendCase c = GetParam();
  std::vector<float> data = test_rows(c.rows, c.cols, c.metric, 1234 + c.rows);
  const MatrixView view{data.data(), c.rows, c.cols};
  KnnParams params;
  params.k = c.k;
  params.metric = c.metric;
  params.mode = KnnMode::automatic;
  const KnnGraph expected = cpu_graph(view, c.k, c.metric);
  for (GemmPrecision precision : {GemmPrecision::fp16, GemmPrecision::bf16}) {
    CudaTuning tuning;
    tuning.precision = precision;
    std::unique_ptr<Backend> backend = make_cuda_backend(BackendOptions(), tuning);
    EXPECT_EQ(backend->name(), "cuda");
    KnnReport report;
    report.mode_used = KnnMode::hnsw;
    const KnnGraph graph = backend->knn_graph(view, params, &report);
    EXPECT_EQ(report.mode_used, KnnMode::exact);
    expect_graphs_agree(graph, expected, view, c.metric, precision);
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, CudaBackendKnn,
                         ::testing::Values(BackendCase{1000, 64, 32, Metric::cosine},
                                           BackendCase{777, 33, 7, Metric::cosine},
                                           BackendCase{1500, 17, 100, Metric::inner_product},
                                           BackendCase{999, 130, 32, Metric::l2},
                                           BackendCase{300, 5, 256, Metric::l2},
                                           BackendCase{40, 3, 256, Metric::cosine},
                                           BackendCase{2, 8, 1, Metric::l2},
                                           BackendCase{1, 4, 5, Metric::cosine}),
                         [](const auto& info) {
                           return std::to_string(info.param.rows) + "x" +
                                  std::to_string(info.param.cols) + "_k" +
                                  std::to_string(info.param.k) + "_" + to_string(info.param.metric);
                         });

TEST(CudaBackend, StreamingAndHostRescoreMatchResident) {
  SKIP_WITHOUT_GPU();
  const int64_t rows = 1201, cols = 24;
  const int k = 20;
  for (Metric metric : {Metric::cosine, Metric::l2}) {
    std::vector<float> data = test_rows(rows, cols, metric, 77);
    const MatrixView view{data.data(), rows, cols};
    KnnParams params;
    params.k = k;
    params.metric = metric;
    gpu::GpuResources resources(0, 0);
    gpu::KnnRows input;
    input.host = data.data();
    input.rows = rows;
    input.cols = cols;

    gpu::GpuKnnStats resident_stats;
    const KnnGraph resident =
        gpu::gpu_knn_graph(resources, input, params, CudaTuning(), &resident_stats);
    EXPECT_FALSE(resident_stats.plan.streaming);
    EXPECT_TRUE(resident_stats.plan.rescore_on_device);

    // Out of core: a 1 MiB budget and small blocks stream the rows through in many pieces.
    CudaTuning streamed_tuning;
    streamed_tuning.memory_budget_bytes = 1 << 20;
    streamed_tuning.max_query_rows = 100;
    streamed_tuning.max_tile_cols = 64;
    streamed_tuning.max_db_block_rows = 250;
    // The planner would keep these 0.2 MiB of rows resident even in 1 MiB: force streaming.
    streamed_tuning.force_streaming = true;
    streamed_tuning.collect_stage_times = true;
    gpu::GpuKnnStats streamed_stats;
    const KnnGraph streamed =
        gpu::gpu_knn_graph(resources, input, params, streamed_tuning, &streamed_stats);
    ASSERT_TRUE(streamed_stats.plan.streaming);
    EXPECT_GT(streamed_stats.plan.db_blocks, 1);
    EXPECT_GT(streamed_stats.plan.query_blocks, 1);
    EXPECT_GT(streamed_stats.upload_bytes, rows * cols * 4 * streamed_stats.plan.query_blocks - 1);
    EXPECT_GT(streamed_stats.stage_ms[static_cast<size_t>(gpu::Stage::select)], 0);
    // Same scores per pair (fp16 products are exact; only the fp32 accumulation order may
    // differ between GEMM shapes), so the graphs agree within the fp16 tolerance and
    // similarities are exact on both.
    expect_graphs_agree(streamed, resident, view, metric, GemmPrecision::fp16);

    CudaTuning host_tuning;
    host_tuning.rescore = RescoreLocation::host;
    host_tuning.max_query_rows = 333;
    gpu::GpuKnnStats host_stats;
    const KnnGraph host_rescored =
        gpu::gpu_knn_graph(resources, input, params, host_tuning, &host_stats);
    EXPECT_FALSE(host_stats.plan.rescore_on_device);
    EXPECT_EQ(host_rescored.neighbors, resident.neighbors);
    for (size_t e = 0; e < resident.similarity.size(); ++e) {
      ASSERT_FLOAT_EQ(host_rescored.similarity[e], resident.similarity[e]);
    }
  }
}

TEST(CudaBackend, RowsOnDeviceMatchRowsOnHost) {
  SKIP_WITHOUT_GPU();
  const int64_t rows = 3001, cols = 40;
  gpu::GpuResources resources(0, 0);
  DeviceBuffer<float> d_rows(static_cast<size_t>(rows * cols));
  UNFRIEND_CUDA_TRY(kernels::random_normal(d_rows.data(), rows * cols, 17, nullptr));
  UNFRIEND_CUDA_TRY(kernels::normalize_rows(d_rows.data(), rows, cols, nullptr));
  synchronize();
  std::vector<float> host_rows = to_host(d_rows.data(), d_rows.size());
  KnnParams params;
  params.k = 32;
  gpu::KnnRows on_device;
  on_device.device = d_rows.data();
  on_device.rows = rows;
  on_device.cols = cols;
  gpu::KnnRows on_host = on_device;
  on_host.device = nullptr;
  on_host.host = host_rows.data();
  const KnnGraph a = gpu::gpu_knn_graph(resources, on_device, params, CudaTuning());
  const KnnGraph b = gpu::gpu_knn_graph(resources, on_host, params, CudaTuning());
  EXPECT_EQ(a.neighbors, b.neighbors);
  EXPECT_EQ(a.similarity, b.similarity);
}

TEST(CudaBackend, SanitizerAllocationModeGivesTheSameGraph) {
  SKIP_WITHOUT_GPU();
  const int64_t rows = 900, cols = 20;
  std::vector<float> data = test_rows(rows, cols, Metric::cosine, 5);
  KnnParams params;
  params.k = 16;
  gpu::KnnRows input;
  input.host = data.data();
  input.rows = rows;
  input.cols = cols;
  KnnGraph pooled, direct;
  {
    gpu::GpuResources resources(0, 0);
    ASSERT_FALSE(resources.stack().direct());
    pooled = gpu::gpu_knn_graph(resources, input, params, CudaTuning());
  }
  ASSERT_EQ(setenv("UNFRIEND_CUDA_DIRECT_ALLOC", "1", 1), 0);
  {
    gpu::GpuResources resources(0, 0);
    EXPECT_TRUE(resources.stack().direct());
    direct = gpu::gpu_knn_graph(resources, input, params, CudaTuning());
    EXPECT_EQ(resources.stack().capacity(), 0u);
  }
  unsetenv("UNFRIEND_CUDA_DIRECT_ALLOC");
  EXPECT_EQ(pooled.neighbors, direct.neighbors);
  EXPECT_EQ(pooled.similarity, direct.similarity);
}

TEST(CudaBackend, RejectsBadInputLikeTheCpuBackend) {
  SKIP_WITHOUT_GPU();
  std::unique_ptr<Backend> backend = make_cuda_backend(BackendOptions());
  std::vector<float> data = test::random_normal(50, 6, 2);
  data[7 * 6 + 3] = std::nanf("");
  KnnParams params;
  params.k = 5;
  try {
    backend->knn_graph(MatrixView{data.data(), 50, 6}, params, nullptr);
    FAIL() << "NaN input accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("row 7 column 3"), std::string::npos) << e.what();
  }
  data[7 * 6 + 3] = 0.f;
  params.k = 0;
  EXPECT_THROW(backend->knn_graph(MatrixView{data.data(), 50, 6}, params, nullptr), InputError);
  params.k = 300;
  EXPECT_THROW(backend->knn_graph(MatrixView{data.data(), 50, 6}, params, nullptr), InputError);
  params.k = 5;
  CudaTuning tiny;
  tiny.memory_budget_bytes = 1024;
  EXPECT_THROW(make_cuda_backend(BackendOptions(), tiny)
                   ->knn_graph(MatrixView{data.data(), 50, 6}, params, nullptr),
               RuntimeFailure);
}

TEST(CudaBackend, ComponentsMatchCpuWithTinyEdgeBuffersAndTiles) {
  SKIP_WITHOUT_GPU();
  // Clustered rows, so that thresholds produce components of many sizes.
  const int64_t rows = 2500, cols = 12;
  std::vector<float> centers = test::random_normal(40, cols, 3);
  std::vector<float> data = test::random_normal(rows, cols, 4);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t c = 0; c < cols; ++c) {
      data[i * cols + c] = centers[(i % 40) * cols + c] + 0.05f * data[i * cols + c];
    }
  }
  const MatrixView view{data.data(), rows, cols};
  const KnnGraph graph = cpu_graph(view, 10, Metric::l2);
  std::mt19937 rng(6);
  std::vector<uint8_t> include(rows);
  for (auto& v : include) v = rng() % 9 != 0;
  CudaTuning tuning;
  tuning.edge_tile_rows = 301;
  tuning.initial_edge_capacity = 3;
  std::unique_ptr<Backend> backend = make_cuda_backend(BackendOptions(), tuning);
  gpu::GpuResources resources(0, 0);
  for (float threshold : {-kInf, -0.05f, -0.01f, -0.001f, 1.f}) {
    for (bool with_mask : {false, true}) {
      const std::vector<uint8_t> mask = with_mask ? include : std::vector<uint8_t>();
      const std::vector<int64_t> expected = cpu_threshold_components(graph, threshold, mask);
      EXPECT_EQ(backend->threshold_components(graph, threshold, mask), expected)
          << "threshold " << threshold << " mask " << with_mask;
      gpu::ComponentsStats stats;
      EXPECT_EQ(gpu::gpu_threshold_components(resources, graph, threshold, mask, tuning, &stats),
                expected);
      EXPECT_EQ(stats.tiles, (rows + 300) / 301);
      if (stats.edges > 3 * stats.tiles) EXPECT_GT(stats.retries, 0);
    }
  }
  // Malformed input: the CPU reference's messages.
  KnnGraph broken = graph;
  broken.neighbors[1234 * 10 + 2] = rows + 5;
  try {
    backend->threshold_components(broken, -kInf, {});
    FAIL() << "out-of-range neighbour accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(
        std::string(e.what()),
        fmt::format("kNN graph row 1234 lists neighbour {} but has only {} rows", rows + 5, rows));
  }
  EXPECT_THROW(backend->threshold_components(graph, 0.f, std::vector<uint8_t>(7)), InputError);
  KnnGraph empty;
  EXPECT_TRUE(backend->threshold_components(empty, 0.f, {}).empty());
}

// ---------------------------------------------------------------------------------------------
// Feature preparation on the device: every kernel against the host reference, bit for bit.

std::vector<float> feature_rows(int64_t rows, int64_t cols, uint64_t seed) {
  std::vector<float> v = test::random_normal(rows, cols, seed);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j)
      v[r * cols + j] = v[r * cols + j] * float(1 + j % 7) + float(j % 4);
  }
  return v;
}

void expect_same_bits(const std::vector<float>& got, const std::vector<float>& want,
                      const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    uint32_t a, b;
    std::memcpy(&a, &got[i], 4);
    std::memcpy(&b, &want[i], 4);
    ASSERT_EQ(a, b) << what << " value " << i << ": " << got[i] << " vs " << want[i];
  }
}

TEST(PrepareKernels, RowStatusMatchesTheHostCheck) {
  SKIP_WITHOUT_GPU();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int64_t cols : {int64_t{1}, int64_t{37}, int64_t{64}, int64_t{100}}) {
    const int64_t rows = 50;
    std::vector<float> data = feature_rows(rows, cols, 3);
    std::fill_n(data.begin() + 1 * cols, cols, 0.f);  // all zero
    data[2 * cols + cols / 2] = nan;                  // NaN in the middle
    data[3 * cols + cols - 1] = kInf;                 // Inf last
    data[4 * cols] = -kInf;                           // -Inf first
    if (cols > 35) {
      data[5 * cols + 35] = nan;  // two bad values: the first counts
      data[5 * cols + 3] = kInf;
    }
    std::fill_n(data.begin() + 6 * cols, cols, 0.f);  // zeros then a bad value
    data[6 * cols + cols - 1] = nan;
    std::fill_n(data.begin() + 7 * cols, cols, 0.f);  // zeros and one tiny value
    data[7 * cols + cols - 1] = 1e-30f;
    std::vector<int32_t> expected(rows);
    for (int64_t r = 0; r < rows; ++r) {
      int32_t status = kernels::kRowAllZero;
      for (int64_t j = 0; j < cols; ++j) {
        const float x = data[r * cols + j];
        if (!std::isfinite(x)) {
          status = int32_t(j);
          break;
        }
        if (x != 0.f) status = kernels::kRowValid;
      }
      expected[r] = status;
    }
    DeviceBuffer<float> d_data = to_device(data);
    DeviceBuffer<int32_t> d_status(rows);
    ASSERT_EQ(kernels::row_status(d_data.data(), rows, cols, d_status.data(), nullptr),
              cudaSuccess);
    synchronize();
    EXPECT_EQ(to_host(d_status.data(), rows), expected) << "cols " << cols;
  }
  EXPECT_EQ(kernels::row_status(nullptr, 3, 4, nullptr, nullptr), cudaErrorInvalidValue);
}

TEST(PrepareKernels, StandardizeNormalizeAndNormsAreBitIdentical) {
  SKIP_WITHOUT_GPU();
  for (int64_t cols : {int64_t{1}, int64_t{13}, int64_t{96}}) {
    const int64_t rows = 3001;
    Matrix host(rows, cols);
    host.values = feature_rows(rows, cols, 17 + cols);
    std::fill_n(host.row(7), cols, 0.f);  // stays zero through the normalisation
    host.row(11)[0] = 1e30f;              // clipped, on both sides alike
    const FeatureStats stats = column_stats(host);
    DeviceBuffer<float> d_rows = to_device(host.values);
    DeviceBuffer<double> d_location = to_device(stats.location), d_scale = to_device(stats.scale);

    standardize(host, stats, 10.0);
    ASSERT_EQ(kernels::standardize_rows(d_rows.data(), rows, cols, d_location.data(),
                                        d_scale.data(), 10.0, nullptr),
              cudaSuccess);
    synchronize();
    expect_same_bits(to_host(d_rows.data(), rows * cols), host.values, "standardised");

    DeviceBuffer<float> d_norms(rows);
    ASSERT_EQ(kernels::squared_norms_sequential(d_rows.data(), rows, cols, d_norms.data(), nullptr),
              cudaSuccess);
    synchronize();
    expect_same_bits(to_host(d_norms.data(), rows), row_squared_norms(host), "squared norms");

    // A zero row after standardising would stay zero too; make one to be sure.
    std::fill_n(host.row(7), cols, 0.f);
    UNFRIEND_CUDA_TRY(cudaMemcpy(d_rows.data() + 7 * cols, host.row(7), cols * sizeof(float),
                                 cudaMemcpyHostToDevice));
    normalize_for_metric(host, Metric::cosine);
    ASSERT_EQ(kernels::normalize_rows_sequential(d_rows.data(), rows, cols, nullptr), cudaSuccess);
    synchronize();
    expect_same_bits(to_host(d_rows.data(), rows * cols), host.values, "normalised");
  }
}

TEST(PrepareKernels, GatherRowsPicksRowsInOrder) {
  SKIP_WITHOUT_GPU();
  const int64_t rows = 1000, cols = 19;
  const std::vector<float> data = feature_rows(rows, cols, 23);
  std::vector<int64_t> index;
  for (int64_t r = 0; r < rows; r += 1 + r % 4) index.push_back(r);
  index.push_back(rows - 1);
  DeviceBuffer<float> d_in = to_device(data);
  DeviceBuffer<int64_t> d_index = to_device(index);
  DeviceBuffer<float> d_out(index.size() * cols);
  ASSERT_EQ(kernels::gather_rows(d_in.data(), cols, d_index.data(), int64_t(index.size()),
                                 d_out.data(), nullptr),
            cudaSuccess);
  synchronize();
  std::vector<float> expected;
  for (int64_t r : index)
    expected.insert(expected.end(), data.begin() + r * cols, data.begin() + (r + 1) * cols);
  expect_same_bits(to_host(d_out.data(), index.size() * cols), expected, "gathered");
}

class RowsInMemory final : public RowSource {
 public:
  RowsInMemory(std::vector<float> values, int64_t cols) : values_(std::move(values)), cols_(cols) {}
  int64_t rows() const override { return int64_t(values_.size()) / cols_; }
  int64_t cols() const override { return cols_; }
  std::string name() const override { return "memory.h5"; }
  void read_rows(int64_t begin, int64_t count, float* out) const override {
    std::memcpy(out, values_.data() + begin * cols_, size_t(count * cols_) * sizeof(float));
  }

 private:
  std::vector<float> values_;
  int64_t cols_;
};

TEST(PrepareOnDevice, RowsCountAgainstTheBudgetAndTooLargeFallsBack) {
  SKIP_WITHOUT_GPU();
  set_quiet(true);
  const int64_t rows = 20000, cols = 24;
  std::vector<float> values = feature_rows(rows, cols, 31);
  std::fill_n(values.begin() + 5 * cols, cols, 0.f);  // an invalid row, skipped
  const RowsInMemory source(values, cols);
  PrepareOptions options;
  options.skip_invalid = true;
  options.block_rows = 777;
  options.knn_k = 8;
  gpu::GpuResources resources(0, 0);
  const int64_t budget = resources.memory_budget();
  {
    PreparedFeatures prepared;
    ASSERT_TRUE(gpu::gpu_prepare_features(resources, source, options, CudaTuning(), &prepared));
    EXPECT_EQ(resources.memory_budget(), budget - rows * cols * 4);
    EXPECT_EQ(prepared.rows, rows - 1);
    EXPECT_EQ(prepared.invalid_rows, std::vector<int64_t>{5});
    EXPECT_FALSE(prepared.on_host());
    ASSERT_TRUE(prepared.device);
    const PreparedFeatures host = prepare_features_on_host(source, options);
    std::vector<float> rows_back(size_t(prepared.rows * cols));
    prepared.device->download(rows_back.data());
    expect_same_bits(rows_back, host.matrix.values, "prepared rows");
    std::vector<std::string> stages;
    for (const StageRate& s : prepared.stages) stages.push_back(s.stage);
    EXPECT_EQ(stages, (std::vector<std::string>{"read", "upload", "check", "preprocess"}));
  }
  EXPECT_EQ(resources.memory_budget(), budget) << "the rows' bytes come back when they go";

  CudaTuning small;
  small.memory_budget_bytes = rows * cols * 4 / 2;  // the rows alone do not fit
  PreparedFeatures refused;
  EXPECT_FALSE(gpu::gpu_prepare_features(resources, source, options, small, &refused));
  EXPECT_FALSE(refused.device);
  EXPECT_EQ(resources.memory_budget(), budget);
}

}  // namespace
}  // namespace unfriend
