// Counter-based random streams for the generator: every group and every row derives its own
// xoshiro256** state from (seed, stream, index), so the output does not depend on how rows are
// spread over threads, and a row can be generated without generating the rows before it.
#pragma once

#include <cmath>
#include <cstdint>

namespace unfriend::synth {

/// SplitMix64's finaliser: a bijective 64-bit mix (also used to seed xoshiro, as its authors
/// recommend).
inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

/// One key per (seed, stream, index). Streams separate the uses of randomness (planning,
/// community parameters, rows...) so that changing one never shifts the numbers of another.
inline uint64_t derive_key(uint64_t seed, uint64_t stream, uint64_t index) {
  uint64_t k = mix64(seed + 0x9e3779b97f4a7c15ULL * (stream + 1));
  return mix64(k ^ (index * 0xd1b54a32d192ed03ULL + 0x8cb92ba72f3d8dd7ULL));
}

/// xoshiro256** (Blackman and Vigna): fast, 256-bit state, passes BigCrush.
class Rng {
 public:
  explicit Rng(uint64_t key) {
    uint64_t x = key;
    for (uint64_t& s : state_) {
      x += 0x9e3779b97f4a7c15ULL;
      s = mix64(x);
    }
  }
  Rng(uint64_t seed, uint64_t stream, uint64_t index) : Rng(derive_key(seed, stream, index)) {}

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  /// Uniform integer in [0, bound), bound >= 1, without modulo bias (Lemire's method).
  uint64_t below(uint64_t bound) {
    unsigned __int128 m = static_cast<unsigned __int128>(next()) * bound;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < bound) {
      const uint64_t threshold = (0 - bound) % bound;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(next()) * bound;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  /// Standard normal by Marsaglia's polar method: no trigonometry, and the second value of each
  /// accepted pair is kept for the next call.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }

  /// exp(uniform(log lo, log hi)): scale parameters spread evenly over orders of magnitude.
  double log_uniform(double lo, double hi) { return std::exp(uniform(std::log(lo), std::log(hi))); }

  /// Student-t with `dof` degrees of freedom (integer dof: normal over a chi-square).
  double student_t(int dof) {
    double chi2 = 0;
    for (int i = 0; i < dof; ++i) {
      const double z = normal();
      chi2 += z * z;
    }
    const double z = normal();
    return chi2 > 0 ? z / std::sqrt(chi2 / dof) : 0.0;  // chi2 == 0 needs all draws exactly 0
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace unfriend::synth
