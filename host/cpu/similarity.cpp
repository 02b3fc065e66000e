#include "host/cpu/similarity.h"

namespace unfriend {

double pair_similarity(const float* a, const float* b, int64_t dims, Metric metric) {
  double sum = 0;
  if (metric == Metric::l2) {
    for (int64_t i = 0; i < dims; ++i) {
      double diff = static_cast<double>(a[i]) - static_cast<double>(b[i]);
      sum += diff * diff;
    }
    return -sum;
  }
  for (int64_t i = 0; i < dims; ++i) sum += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return sum;
}

}  // namespace unfriend
