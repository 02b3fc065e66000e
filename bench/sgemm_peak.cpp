// The machine's measured sgemm rate (OpenBLAS, the BLAS behind FAISS), the yardstick the exact
// kNN's GFLOP/s is reported against: C = A B^T for blocks of rows of an N x D matrix, the shape
// a kNN score tile has, on every thread (one single-threaded product per thread, as the tiles
// run) and on one.
//
//   build/bench/sgemm_peak DIMS [BLOCK_ROWS]   -> one JSON line
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "host/cpu/thread_limit.h"

namespace {

double gflops(int dims, int block, int threads) {
  constexpr int kBlocks = 24;
  std::vector<float> x(static_cast<size_t>(kBlocks) * block * dims);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (float& v : x) v = normal(rng);
  std::vector<std::vector<float>> tiles(static_cast<size_t>(threads),
                                        std::vector<float>(static_cast<size_t>(block) * block));
  const int pairs = kBlocks * kBlocks;
  auto run = [&] {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int p = 0; p < pairs; ++p) {
      const float* a = x.data() + static_cast<size_t>(p % kBlocks) * block * dims;
      const float* b = x.data() + static_cast<size_t>(p / kBlocks) * block * dims;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, block, block, dims, 1.0f, a, dims, b,
                  dims, 0.0f, tiles[static_cast<size_t>(omp_get_thread_num())].data(), block);
    }
  };
  run();  // warm up
  // The best of five: the rate the machine can reach, not one run's share of a busy moment.
  double best = 1e300;
  for (int repeat = 0; repeat < 5; ++repeat) {
    const auto start = std::chrono::steady_clock::now();
    run();
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return 2.0 * block * block * static_cast<double>(dims) * pairs / best / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: sgemm_peak DIMS [BLOCK_ROWS]\n");
    return 2;
  }
  const int dims = std::atoi(argv[1]);
  const int block = argc > 2 ? std::atoi(argv[2]) : 1024;
  if (dims < 1 || block < 16) {
    std::fprintf(stderr, "sgemm_peak: DIMS >= 1 and BLOCK_ROWS >= 16\n");
    return 2;
  }
  unfriend::SerialBlas serial;  // one product per thread, as the kNN tiles run
  const int threads = omp_get_max_threads();
  const double all = gflops(dims, block, threads);
  const double one = gflops(dims, block, 1);
  std::printf(
      "{\"dims\": %d, \"block_rows\": %d, \"threads\": %d, \"gflops\": %.1f, "
      "\"gflops_one_thread\": %.1f}\n",
      dims, block, threads, all, one);
  return 0;
}
