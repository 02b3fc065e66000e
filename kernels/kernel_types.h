// Plain C++ types shared by the kernel launchers and their host-side callers (cuda/, tests):
// no CUDA headers beyond the runtime API types, so g++-compiled code can include every launcher
// header.
#pragma once

#include <cstdint>

namespace unfriend::kernels {

/// Index of an empty candidate slot. Larger than any row index (row counts are kept below
/// 2^31 - 1), so that among equal scores a real candidate always ranks before padding.
constexpr int32_t kPadIndex = 0x7fffffff;

/// The 16-bit float format rows are converted to for the tensor-core GEMM.
enum class ReducedType { fp16, bf16 };

/// How a similarity is formed from two rows: the dot product (cosine, inner_product) or the
/// negated squared Euclidean distance (l2).
enum class ScoreKind { dot, negative_squared_l2 };

}  // namespace unfriend::kernels
