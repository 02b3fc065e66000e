#include "host/cpu/thread_limit.h"

#include <dlfcn.h>
#include <omp.h>

namespace unfriend {

namespace detail_blas {
// Looked up at run time: the BLAS behind FAISS is whatever libblas.so.3 the system selects
// (Debian alternatives), and only OpenBLAS has these entry points. Absent: BLAS is left alone.
using set_threads_fn = void (*)(int);
using get_threads_fn = int (*)();

set_threads_fn openblas_setter() {
  return reinterpret_cast<set_threads_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
}
get_threads_fn openblas_getter() {
  return reinterpret_cast<get_threads_fn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
}
}  // namespace detail_blas
using namespace detail_blas;

ThreadLimit::ThreadLimit(int threads) {
  if (threads <= 0) return;
  active_ = true;
  previous_omp_ = omp_get_max_threads();
  omp_set_num_threads(threads);
  set_threads_fn set = openblas_setter();
  get_threads_fn get = openblas_getter();
  if (set && get) {
    previous_blas_ = get();
    set(threads);
  }
}

ThreadLimit::~ThreadLimit() {
  if (!active_) return;
  omp_set_num_threads(previous_omp_);
  set_threads_fn set = openblas_setter();
  if (set && previous_blas_ > 0) set(previous_blas_);
}

}  // namespace unfriend

namespace unfriend {

using namespace detail_blas;

SerialBlas::SerialBlas() {
  set_threads_fn set = openblas_setter();
  get_threads_fn get = openblas_getter();
  if (set && get) {
    previous_blas_ = get();
    set(1);
  }
}

SerialBlas::~SerialBlas() {
  set_threads_fn set = openblas_setter();
  if (set && previous_blas_ > 0) set(previous_blas_);
}

}  // namespace unfriend
