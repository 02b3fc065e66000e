// Internal to host/io: RAII ownership of HDF5 identifiers and the plumbing that turns HDF5's
// error stack into the short reasons our one-line messages carry. Includes hdf5.h, so only the
// io module's .cpp files include it; the public headers stay free of HDF5.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace unfriend::io {

// The public headers store identifiers as int64_t so that they need not include hdf5.h.
static_assert(std::is_same_v<hid_t, int64_t> || sizeof(hid_t) == sizeof(int64_t),
              "hid_t must fit the int64_t members of the public io headers");

/// Owns one HDF5 identifier and closes it with the matching H5?close on destruction.
/// A negative id means "none" (that is how HDF5 reports a failed open or create).
class H5Handle {
 public:
  using Closer = herr_t (*)(hid_t);

  H5Handle() = default;
  H5Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~H5Handle() { reset(); }
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  H5Handle(H5Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  H5Handle& operator=(H5Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, -1);
      closer_ = other.closer_;
    }
    return *this;
  }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  explicit operator bool() const { return valid(); }

  /// Gives up ownership without closing.
  hid_t release() { return std::exchange(id_, -1); }

  /// Closes now; returns false when HDF5 reported a failure (e.g. a flush that hit a full disk).
  bool reset() {
    bool ok = true;
    if (id_ >= 0 && closer_ != nullptr) ok = closer_(id_) >= 0;
    id_ = -1;
    return ok;
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

inline H5Handle file_handle(hid_t id) { return H5Handle(id, H5Fclose); }
inline H5Handle group_handle(hid_t id) { return H5Handle(id, H5Gclose); }
inline H5Handle dataset_handle(hid_t id) { return H5Handle(id, H5Dclose); }
inline H5Handle space_handle(hid_t id) { return H5Handle(id, H5Sclose); }
inline H5Handle type_handle(hid_t id) { return H5Handle(id, H5Tclose); }
inline H5Handle plist_handle(hid_t id) { return H5Handle(id, H5Pclose); }
inline H5Handle attribute_handle(hid_t id) { return H5Handle(id, H5Aclose); }
inline H5Handle object_handle(hid_t id) { return H5Handle(id, H5Oclose); }

/// Turns off HDF5's automatic printing of its error stack for the calling thread (the library
/// is built thread-safe, so that setting is per thread), so that a failure reaches the user only
/// as our one-line message. Cheap after the first call on a thread: call it at every entry point.
void silence_hdf5_errors();

/// The most specific description on the calling thread's HDF5 error stack (the innermost
/// function that failed), made one line and short; "" when the stack is empty. Clears the stack.
std::string hdf5_error_reason();

/// " (reason)" when HDF5 gave one, else "": for appending to a message.
std::string reason_suffix();

}  // namespace unfriend::io
