// The CPU backend: FAISS for the kNN graph, plain C++ for the rest. Its simple implementations
// are also the reference the CUDA backend is tested against.
#pragma once

#include <memory>

#include "host/core/backend.h"

namespace unfriend {

std::unique_ptr<Backend> make_cpu_backend(const BackendOptions& options);

}  // namespace unfriend
