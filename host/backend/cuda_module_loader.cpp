#include "host/backend/cuda_module_loader.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "host/backend/module_build_id.h"

namespace unfriend {

namespace fs = std::filesystem;

namespace {

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

std::string last_dl_error() {
  const char* error = dlerror();
  return error != nullptr ? one_line(error) : std::string("unknown dlopen failure");
}

// The folders beside the running executable that may hold the module: lib/ (the GPU bundle's
// layout, and the build tree's for build/unfriend), ../lib/ (the build tree's for tests/ and
// bench/ binaries; an install's bin/ and lib/), and the folder itself.
std::vector<fs::path> candidate_paths() {
  std::error_code error;
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (error) return {};
  const fs::path folder = executable.parent_path();
  const char* name = cuda_module_file_name();
  return {folder / "lib" / name, (folder / ".." / "lib" / name).lexically_normal(), folder / name};
}

CudaModule open_module(const fs::path& path) {
  CudaModule module;
  module.path = path.string();
  // RTLD_NOW: a symbol the module cannot bind is a refusal here, not a crash in mid-sweep.
  // RTLD_LOCAL: cuBLAS and the CUDA runtime stay out of the process's global symbol scope.
  // A module that is refused below stays mapped: its static initialisers (the CUDA runtime's
  // among them) have run, and unloading them buys nothing.
  void* handle = dlopen(module.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    module.failure = last_dl_error();
    return module;
  }
  using EntryPoint = const CudaModuleApi* (*)();
  auto entry = reinterpret_cast<EntryPoint>(dlsym(handle, kCudaModuleEntryPoint));
  if (entry == nullptr) {
    module.failure = fmt::format("{} has no entry point {}", module.path, kCudaModuleEntryPoint);
    return module;
  }
  const CudaModuleApi* api = entry();
  if (api == nullptr || api->abi != kCudaModuleAbi) {
    module.failure = fmt::format("{} has module ABI {}, this unfriend needs {}", module.path,
                                 api == nullptr ? 0 : api->abi, kCudaModuleAbi);
    return module;
  }
  if (api->build_id == nullptr || std::strcmp(api->build_id, UNFRIEND_MODULE_BUILD_ID) != 0) {
    module.failure = fmt::format(
        "{} is from another build of unfriend (build {}, this unfriend {})", module.path,
        api->build_id == nullptr ? "?" : api->build_id, UNFRIEND_MODULE_BUILD_ID);
    return module;
  }
  module.api = api;
  return module;
}

CudaModule find_module() {
  if (const char* forced = std::getenv("UNFRIEND_CUDA_MODULE"); forced != nullptr && *forced) {
    CudaModule module = open_module(forced);
    if (module.api == nullptr) module.failure = "UNFRIEND_CUDA_MODULE: " + module.failure;
    return module;
  }
  const std::vector<fs::path> candidates = candidate_paths();
  for (const fs::path& path : candidates) {
    std::error_code error;
    if (fs::exists(path, error)) return open_module(path);
  }
  CudaModule module;
  std::string looked;
  for (const fs::path& path : candidates) {
    looked += (looked.empty() ? "" : ", ") + path.parent_path().string();
  }
  module.failure = fmt::format("no {} beside the executable (looked in {})",
                               cuda_module_file_name(), looked.empty() ? "nothing" : looked);
  return module;
}

}  // namespace

const char* cuda_module_file_name() { return UNFRIEND_CUDA_MODULE_FILE; }

const CudaModule& cuda_module() {
  static const CudaModule module = find_module();
  return module;
}

}  // namespace unfriend
