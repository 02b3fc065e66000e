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

namespace unfriend {

/// OpenBLAS single-threaded for the lifetime of the object (restored afterwards): for loops that
/// are parallel themselves and run one small matrix product per thread, where BLAS's own thread
/// pool would only oversubscribe the cores.
class SerialBlas {
 public:
  SerialBlas();
  ~SerialBlas();
  SerialBlas(const SerialBlas&) = delete;
  SerialBlas& operator=(const SerialBlas&) = delete;

 private:
  int previous_blas_ = 0;
};

}  // namespace unfriend
