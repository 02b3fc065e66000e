// 64-bit FNV-1a over bytes, as a checksum and a fingerprint.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace unfriend {

// 64-bit FNV-1a: a checksum against torn or damaged files and a fingerprint of identities, not
// a defence against someone forging a checkpoint.
class Fnv64 {
 public:
  void add(const void* data, size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < bytes; ++i) {
      hash_ ^= p[i];
      hash_ *= 0x100000001b3ULL;
    }
  }
  void add(const std::string& text) { add(text.data(), text.size()); }
  uint64_t value() const { return hash_; }
  std::string hex() const { return fmt::format("{:016x}", hash_); }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace unfriend
