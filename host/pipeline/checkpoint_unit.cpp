#include "host/pipeline/checkpoint_unit.h"

#include <cstring>

#include "host/core/fnv64.h"

namespace unfriend {

namespace {

constexpr char kUnitMagic[8] = {'U', 'F', 'K', 'N', 'N', 'U', '1', '\0'};

template <typename T>
void append(std::string& buffer, const T* values, size_t count) {
  buffer.append(reinterpret_cast<const char*>(values), count * sizeof(T));
}

// Reads a T at `offset` of `buffer` (bounds checked by the caller).
template <typename T>
T read_at(const std::string& buffer, size_t offset) {
  T value;
  std::memcpy(&value, buffer.data() + offset, sizeof(T));
  return value;
}

}  // namespace

std::string encode_checkpoint_unit(int64_t unit, const KnnUnit& data) {
  const size_t cells = data.rows.size() * static_cast<size_t>(data.width > 0 ? data.width : 0);
  std::string buffer;
  buffer.reserve(sizeof(kUnitMagic) + 3 * sizeof(int64_t) + data.rows.size() * sizeof(int64_t) +
                 cells * (sizeof(int64_t) + sizeof(float)) + sizeof(uint64_t));
  buffer.append(kUnitMagic, sizeof(kUnitMagic));
  const int64_t header[3] = {unit, static_cast<int64_t>(data.rows.size()),
                             static_cast<int64_t>(data.width)};
  append(buffer, header, 3);
  append(buffer, data.rows.data(), data.rows.size());
  append(buffer, data.neighbors.data(), cells);
  append(buffer, data.similarity.data(), cells);
  Fnv64 checksum;
  checksum.add(buffer.data(), buffer.size());
  const uint64_t sum = checksum.value();
  append(buffer, &sum, 1);
  return buffer;
}

std::string decode_checkpoint_unit(const std::string& bytes, int64_t unit, KnnUnit& out) {
  constexpr size_t header = sizeof(kUnitMagic) + 3 * sizeof(int64_t);
  if (bytes.size() < header + sizeof(uint64_t) ||
      std::memcmp(bytes.data(), kUnitMagic, sizeof(kUnitMagic)) != 0) {
    return std::string("not a checkpoint unit");
  }
  Fnv64 checksum;
  checksum.add(bytes.data(), bytes.size() - sizeof(uint64_t));
  if (checksum.value() != read_at<uint64_t>(bytes, bytes.size() - sizeof(uint64_t))) {
    return std::string("checksum mismatch (damaged or torn file)");
  }
  const int64_t stored_unit = read_at<int64_t>(bytes, 8);
  const int64_t count = read_at<int64_t>(bytes, 16);
  const int64_t width = read_at<int64_t>(bytes, 24);
  if (stored_unit != unit || count < 0 || width < 0 || width > (int64_t{1} << 20)) {
    return std::string("header does not match");
  }
  const size_t cells = static_cast<size_t>(count) * static_cast<size_t>(width);
  const size_t expected = header + static_cast<size_t>(count) * sizeof(int64_t) +
                          cells * (sizeof(int64_t) + sizeof(float)) + sizeof(uint64_t);
  if (bytes.size() != expected) return std::string("size does not match its header");
  size_t offset = header;
  out.width = static_cast<int>(width);
  out.rows.resize(static_cast<size_t>(count));
  std::memcpy(out.rows.data(), bytes.data() + offset, out.rows.size() * sizeof(int64_t));
  offset += out.rows.size() * sizeof(int64_t);
  out.neighbors.resize(cells);
  std::memcpy(out.neighbors.data(), bytes.data() + offset, cells * sizeof(int64_t));
  offset += cells * sizeof(int64_t);
  out.similarity.resize(cells);
  std::memcpy(out.similarity.data(), bytes.data() + offset, cells * sizeof(float));
  return std::string();
}

}  // namespace unfriend
