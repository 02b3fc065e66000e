// random_normal with thrust::tabulate: element i is a pure function of (seed, i).
#include <thrust/execution_policy.h>
#include <thrust/tabulate.h>

#include "kernels/random_rows.h"
#include "kernels/thrust_status.cuh"

namespace unfriend::kernels {

namespace {

__host__ __device__ inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct NormalFromCounter {
  uint64_t seed;
  __device__ float operator()(int64_t i) const {
    const uint64_t bits = splitmix64(seed ^ splitmix64(static_cast<uint64_t>(i)));
    // Two 24-bit uniforms; u1 in (0, 1] keeps the logarithm finite (Box-Muller).
    const float u1 = (static_cast<float>(bits >> 40) + 1.f) * (1.f / 16777216.f);
    const float u2 = static_cast<float>((bits >> 16) & 0xffffffu) * (1.f / 16777216.f);
    return sqrtf(-2.f * logf(u1)) * cospif(2.f * u2);
  }
};

}  // namespace

cudaError_t random_normal(float* values, int64_t count, uint64_t seed, cudaStream_t stream) {
  if (count < 0 || (count > 0 && values == nullptr)) return cudaErrorInvalidValue;
  if (count == 0) return cudaSuccess;
  return thrust_status([&] {
    thrust::tabulate(thrust::cuda::par_nosync.on(stream), values, values + count,
                     NormalFromCounter{seed});
  });
}

}  // namespace unfriend::kernels
