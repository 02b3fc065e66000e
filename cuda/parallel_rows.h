// A minimal fork-join over row ranges with std::thread, for the host-side passes of the CUDA
// backend (input checks, host re-scoring). The CPU backend uses OpenMP; this module does not
// link it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace unfriend::gpu {

/// Threads to use for `requested` (0: all cores), at least 1.
inline int host_thread_count(int requested) {
  if (requested > 0) return requested;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : static_cast<int>(cores);
}

/// Calls body(begin, end) on contiguous ranges covering [0, rows), one per thread, each range at
/// least min_rows_per_thread long; the first exception a range throws is rethrown after all
/// threads have joined.
template <typename Body>
void parallel_rows_min(int64_t rows, int threads, int64_t min_rows_per_thread, Body&& body) {
  if (rows <= 0) return;
  const int64_t workers = std::max<int64_t>(
      1, std::min<int64_t>(host_thread_count(threads),
                           (rows + min_rows_per_thread - 1) / min_rows_per_thread));
  if (workers == 1) {
    body(int64_t{0}, rows);
    return;
  }
  std::exception_ptr failure;
  std::mutex failure_mutex;
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(workers));
  const int64_t per = (rows + workers - 1) / workers;
  try {
    for (int64_t w = 0; w < workers; ++w) {
      const int64_t begin = w * per;
      const int64_t end = std::min(rows, begin + per);
      if (begin >= end) break;
      pool.emplace_back([&, begin, end] {
        try {
          body(begin, end);
        } catch (...) {
          std::lock_guard<std::mutex> lock(failure_mutex);
          if (!failure) failure = std::current_exception();
        }
      });
    }
  } catch (...) {
    // A thread could not be started: let the started ones finish, then report.
    for (std::thread& t : pool) t.join();
    throw;
  }
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

/// parallel_rows_min with ranges of at least 256 rows (smaller ones are not worth a thread).
template <typename Body>
void parallel_rows(int64_t rows, int threads, Body&& body) {
  parallel_rows_min(rows, threads, 256, std::forward<Body>(body));
}

/// memcpy split over threads in pieces of at least 4 MiB (smaller copies stay on one thread).
inline void parallel_memcpy(void* destination, const void* source, size_t bytes, int threads) {
  constexpr size_t kMinBytesPerThread = size_t{4} << 20;
  const int64_t pieces =
      static_cast<int64_t>((bytes + kMinBytesPerThread - 1) / kMinBytesPerThread);
  const int workers = static_cast<int>(std::min<int64_t>(host_thread_count(threads), pieces));
  auto* out = static_cast<std::byte*>(destination);
  const auto* in = static_cast<const std::byte*>(source);
  if (workers <= 1) {
    if (bytes > 0) std::memcpy(out, in, bytes);
    return;
  }
  const size_t per = (bytes + static_cast<size_t>(workers) - 1) / static_cast<size_t>(workers);
  // One piece per worker thread.
  parallel_rows_min(workers, threads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t w = begin; w < end; ++w) {
      const size_t offset = static_cast<size_t>(w) * per;
      if (offset < bytes) std::memcpy(out + offset, in + offset, std::min(per, bytes - offset));
    }
  });
}

}  // namespace unfriend::gpu
