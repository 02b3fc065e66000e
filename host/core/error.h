// Error types that decide the process exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace unfriend {

/// Bad input or bad usage: exit code 2. The message is one line that names the file (or option)
/// and what is wrong with it, e.g. "in.h5: /accounts/features has rank 3, expected 2".
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A failure while running on valid input (I/O error, out of disk, out of memory): exit code 1.
class RuntimeFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Exit codes shared by every subcommand.
constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

}  // namespace unfriend
