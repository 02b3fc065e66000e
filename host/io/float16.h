// IEEE 754 binary16 <-> float32, done by us rather than by HDF5: HDF5 1.10's soft float
// conversion mis-rounds some values whose rounding carries into the exponent (0.24994 stored
// as 0.125 in a contiguous write), and it is slow. Round to nearest, ties to even, as numpy.
#pragma once

#include <cstdint>

namespace unfriend {

uint16_t float_to_half(float value);
float half_to_float(uint16_t bits);

void floats_to_halves(const float* in, uint16_t* out, int64_t count);
void halves_to_floats(const uint16_t* in, float* out, int64_t count);

/// Widens `count` halves stored at the start of `buffer` into `count` floats filling it,
/// in place (the buffer holds count floats): reading float16 needs no second buffer.
void widen_halves_in_place(float* buffer, int64_t count);

}  // namespace unfriend
