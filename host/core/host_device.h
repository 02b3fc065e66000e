// Rules that both backends follow are written once, as functions callable from host code and,
// when nvcc compiles them, from device code too.
#pragma once

#if defined(__CUDACC__)
#define UNFRIEND_HOST_DEVICE __host__ __device__
#else
#define UNFRIEND_HOST_DEVICE
#endif
