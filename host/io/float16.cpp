#include "host/io/float16.h"

#include <array>
#include <cstring>

namespace unfriend {

uint16_t float_to_half(float value) {
  uint32_t f = 0;
  std::memcpy(&f, &value, sizeof(f));
  const auto sign = static_cast<uint16_t>((f >> 16) & 0x8000u);
  const uint32_t a = f & 0x7fffffffu;
  if (a >= 0x7f800000u) {  // infinity, or NaN (kept quiet, payload's top bits kept)
    return static_cast<uint16_t>(sign | 0x7c00u |
                                 (a > 0x7f800000u ? 0x200u | ((a >> 13) & 0x3ffu) : 0u));
  }
  if (a >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65520: infinity
  if (a < 0x38800000u) {                // below 2^-14: a subnormal half (units of 2^-24) or zero
    if (a < 0x33000000u) return sign;   // below 2^-25 (2^-25 itself ties to even: zero)
    const uint32_t exponent = a >> 23;  // 102..112
    const uint32_t mantissa = (a & 0x7fffffu) | 0x800000u;  // with the implicit bit
    const uint32_t shift = 126u - exponent;                 // 14..24
    uint32_t h = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1u);
    const uint32_t halfway = 1u << (shift - 1u);
    if (rest > halfway || (rest == halfway && (h & 1u))) ++h;  // may become the smallest normal
    return static_cast<uint16_t>(sign | h);
  }
  // Normal: rebias the exponent (127 -> 15) and keep 10 mantissa bits. A rounding carry runs
  // into the exponent, which is exactly right (0x3bff + 1 = 0x3c00 = 1.0).
  uint32_t h = (a >> 13) - ((127u - 15u) << 10);
  const uint32_t rest = a & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

namespace {

float compute_half_to_float(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  const uint32_t mantissa = bits & 0x3ffu;
  uint32_t f = 0;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24 is exact in float32.
    float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    std::memcpy(&f, &magnitude, sizeof(f));
    f |= sign;
  } else if (exponent == 31) {
    f = sign | 0x7f800000u | (mantissa << 13);
  } else {
    f = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  }
  float value = 0;
  std::memcpy(&value, &f, sizeof(value));
  return value;
}

// All 65536 halves widened once (256 KiB): bulk reads are then a table lookup per value.
const std::array<float, 65536>& half_table() {
  static const std::array<float, 65536> table = [] {
    std::array<float, 65536> values{};
    for (uint32_t i = 0; i < 65536u; ++i)
      values[i] = compute_half_to_float(static_cast<uint16_t>(i));
    return values;
  }();
  return table;
}

}  // namespace

float half_to_float(uint16_t bits) { return half_table()[bits]; }

void floats_to_halves(const float* in, uint16_t* out, int64_t count) {
  for (int64_t i = 0; i < count; ++i) out[i] = float_to_half(in[i]);
}

void halves_to_floats(const uint16_t* in, float* out, int64_t count) {
  const std::array<float, 65536>& table = half_table();
  for (int64_t i = 0; i < count; ++i) out[i] = table[in[i]];
}

void widen_halves_in_place(float* buffer, int64_t count) {
  const std::array<float, 65536>& table = half_table();
  auto* bytes = reinterpret_cast<unsigned char*>(buffer);
  // Backwards: float i covers the bytes of halves 2i and 2i+1, both already consumed for
  // i >= 1; half 0 is loaded before float 0 is stored.
  for (int64_t i = count - 1; i >= 0; --i) {
    uint16_t bits = 0;
    std::memcpy(&bits, bytes + 2 * i, sizeof(bits));
    buffer[i] = table[bits];
  }
}

}  // namespace unfriend
