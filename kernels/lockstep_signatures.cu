// MinHash signatures, one thread per (account, hash function): each thread walks its account's
// actions and keeps the smallest hash of their tokens. Neighbouring threads share an account,
// so its actions are read once from L1/L2 for all hashes.
#include "host/core/lockstep_tokens.h"
#include "kernels/kernel_common.cuh"
#include "kernels/lockstep_signatures.h"

namespace unfriend::kernels {

namespace {

constexpr int kSignatureThreads = 256;

__global__ void signatures_kernel(const int64_t* account_offsets, const uint32_t* account_slot,
                                  const int64_t* account_time, const uint8_t* eligible,
                                  int64_t first, int64_t count, int64_t first_time, int hashes,
                                  uint64_t seed, int64_t tolerance, uint64_t* signature) {
  const int64_t cells = count * hashes;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t cell = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; cell < cells;
       cell += stride) {
    const int64_t a = first + cell / hashes;
    const int h = static_cast<int>(cell % hashes);
    uint64_t best = ~0ull;
    if (eligible[a]) {
      const uint64_t seed_h = minhash_seed(seed, h);
      for (int64_t e = account_offsets[a]; e < account_offsets[a + 1]; ++e) {
        const int64_t t = account_time[e] - first_time;
        for (int grid = 0; grid < 2; ++grid) {
          const uint64_t v =
              minhash_value(lockstep_token(account_slot[e], t, grid, tolerance), seed_h);
          best = v < best ? v : best;
        }
      }
    }
    signature[cell] = best;
  }
}

}  // namespace

cudaError_t lockstep_signatures(const int64_t* account_offsets, const uint32_t* account_slot,
                                const int64_t* account_time, const uint8_t* eligible, int64_t first,
                                int64_t count, int64_t first_time, int hashes, uint64_t seed,
                                int64_t tolerance, uint64_t* signature, cudaStream_t stream) {
  if (count <= 0 || hashes <= 0) return cudaSuccess;
  signatures_kernel<<<grid_stride_blocks(count * hashes, kSignatureThreads), kSignatureThreads, 0,
                      stream>>>(account_offsets, account_slot, account_time, eligible, first, count,
                                first_time, hashes, seed, tolerance, signature);
  return cudaGetLastError();
}

}  // namespace unfriend::kernels
