// The MinHash rule of the lockstep candidates, shared by both backends: which tokens an action
// gives and how a token is hashed, so that the CPU's and a GPU's signatures are the same bits.
#pragma once

#include <cstdint>
#include <utility>

#include "host/core/host_device.h"

namespace unfriend {

struct CandidateOptions {
  int64_t tolerance = 960;  // the widest tolerance; tokens use buckets of 2x it on two grids
  int hashes = 24;
  int window = 3;
  uint64_t seed = 42;
};

using AccountPair = std::pair<uint32_t, uint32_t>;  // first < second

/// splitmix64's finaliser: a fast, well-mixed 64-bit hash.
UNFRIEND_HOST_DEVICE inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// The seed of hash function h.
UNFRIEND_HOST_DEVICE inline uint64_t minhash_seed(uint64_t seed, int h) {
  return mix64(seed * 0x100000001B3ULL + static_cast<uint64_t>(h));
}

/// The token of an action on `slot` at `time` seconds after the log's first action, on grid 0
/// (buckets [2kT, 2(k+1)T)) or grid 1 (shifted by T): two actions within T share a token on at
/// least one grid.
UNFRIEND_HOST_DEVICE inline uint64_t lockstep_token(uint32_t slot, int64_t time, int grid,
                                                    int64_t tolerance) {
  const int64_t width = 2 * (tolerance > 0 ? tolerance : 1);
  const int64_t shifted = time + grid * (tolerance > 0 ? tolerance : 1);
  const int64_t q = shifted / width;
  const int64_t bucket = (shifted % width != 0 && shifted < 0) ? q - 1 : q;  // floor
  return mix64(mix64(slot) ^
               mix64(static_cast<uint64_t>(bucket) * 2 + static_cast<uint64_t>(grid)));
}

/// Hash function h of a token (the signature keeps the smallest over the account's tokens).
UNFRIEND_HOST_DEVICE inline uint64_t minhash_value(uint64_t token, uint64_t seed_h) {
  return mix64(token ^ seed_h);
}

}  // namespace unfriend
