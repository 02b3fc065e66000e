// Finding and loading the CUDA backend module (host/backend/cuda_module_api.h).
#pragma once

#include <string>

#include "host/backend/cuda_module_api.h"

namespace unfriend {

/// The outcome of looking for the CUDA module: its entry points, or why there are none.
struct CudaModule {
  const CudaModuleApi* api = nullptr;  // null: not loaded
  std::string path;                    // the file loaded (or refused); empty when none was found
  std::string failure;                 // why it is not loaded, one line; empty when loaded
};

/// The CUDA module of this process, looked for on the first call and kept until exit (backends
/// it made run its code). The file is $UNFRIEND_CUDA_MODULE when that is set (and only there),
/// else the first of DIR/lib/, DIR/../lib/ and DIR/ that holds it, DIR being the folder of the
/// running executable. A file that is found but cannot be loaded (its CUDA libraries are missing,
/// it is from another build) is not passed over for another one: the failure says why.
const CudaModule& cuda_module();

/// The file name the build gives the module.
const char* cuda_module_file_name();

}  // namespace unfriend
