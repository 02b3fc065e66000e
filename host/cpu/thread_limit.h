// Scoped CPU thread count for OpenMP (FAISS) and OpenBLAS (its own pthread pool).
#pragma once

namespace unfriend {

/// Sets the OpenMP thread count of the calling thread and, when OpenBLAS is loaded, its thread
/// count, for the lifetime of the object; restores both afterwards so that a backend's option
/// does not leak into the rest of the process. threads <= 0 changes nothing.
class ThreadLimit {
 public:
  explicit ThreadLimit(int threads);
  ~ThreadLimit();
  ThreadLimit(const ThreadLimit&) = delete;
  ThreadLimit& operator=(const ThreadLimit&) = delete;

 private:
  bool active_ = false;
  int previous_omp_ = 0;
  int previous_blas_ = 0;
};

}  // namespace unfriend
