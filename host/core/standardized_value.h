// The standardisation of one value, the rule every backend applies (a GPU kernel includes this
// header too, so the host and the device give the same bits): in double, so that neither a
// denormal scale nor a huge value turns into inf, then clipped at `clip` deviations, so
// that no single feature of no single account can dominate a similarity.
#pragma once

#if defined(__CUDACC__)
#define UNFRIEND_STANDARDIZE_HD __host__ __device__
#else
#define UNFRIEND_STANDARDIZE_HD
#endif

namespace unfriend {

/// (x - location) / scale, clipped to [-clip, clip], rounded to float; 0 for a constant feature
/// (scale 0).
UNFRIEND_STANDARDIZE_HD inline float standardized_value(float x, double location, double scale,
                                                        double clip) {
  if (!(scale > 0)) return 0.f;
  double z = (static_cast<double>(x) - location) / scale;
  if (z > clip) z = clip;
  if (z < -clip) z = -clip;
  return static_cast<float>(z);
}

}  // namespace unfriend
