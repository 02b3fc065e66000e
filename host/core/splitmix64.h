// splitmix64: a fixed, portable random stream (std::shuffle's and the standard engines'
// distributions are not specified), for the seeded shuffles of the host stages.
#pragma once

#include <cstdint>

namespace unfriend {

/// The next value of the stream whose state is `state` (advanced).
inline uint64_t splitmix64_next(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace unfriend
