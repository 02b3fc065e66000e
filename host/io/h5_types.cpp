#include "host/io/h5_types.h"

#include <fmt/format.h>

#include <vector>

namespace unfriend::io {

namespace {

std::string member_name(hid_t type, unsigned index) {
  char* raw = H5Tget_member_name(type, index);
  if (raw == nullptr) return "?";
  std::string name = raw;
  H5free_memory(raw);
  return name;
}

}  // namespace

bool is_ieee_half(hid_t type) {
  if (H5Tget_class(type) != H5T_FLOAT || H5Tget_size(type) != 2) return false;
  size_t sign = 0, exponent_pos = 0, exponent_size = 0, mantissa_pos = 0, mantissa_size = 0;
  if (H5Tget_fields(type, &sign, &exponent_pos, &exponent_size, &mantissa_pos, &mantissa_size) <
      0) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  return sign == 15 && exponent_pos == 10 && exponent_size == 5 && mantissa_pos == 0 &&
         mantissa_size == 10 && H5Tget_ebias(type) == 15 && H5Tget_order(type) == H5T_ORDER_LE &&
         H5Tget_offset(type) == 0 && H5Tget_precision(type) == 16 &&
         H5Tget_norm(type) == H5T_NORM_IMPLIED;
}

std::string type_class_word(hid_t type) {
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return "integer";
    case H5T_FLOAT:
      return "float";
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    case H5T_ARRAY:
      return "array";
    case H5T_VLEN:
      return "variable-length";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_REFERENCE:
      return "reference";
    case H5T_TIME:
      return "time";
    default:
      return "unknown";
  }
}

std::string type_name(hid_t type) {
  silence_hdf5_errors();
  const size_t bits = H5Tget_size(type) * 8;
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return fmt::format("{}int{}", H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", bits);
    case H5T_FLOAT:
      return fmt::format("float{}", bits);
    case H5T_STRING: {
      if (H5Tis_variable_str(type) > 0) return "string";
      return fmt::format("string[{}]", H5Tget_size(type));
    }
    case H5T_COMPOUND: {
      int members = H5Tget_nmembers(type);
      std::string out = "compound{";
      for (int i = 0; i < members; ++i) {
        H5Handle member = type_handle(H5Tget_member_type(type, static_cast<unsigned>(i)));
        out += fmt::format("{}{}: {}", i ? ", " : "", member_name(type, static_cast<unsigned>(i)),
                           member ? type_name(member.get()) : std::string("?"));
      }
      return out + "}";
    }
    case H5T_ENUM: {
      H5Handle base = type_handle(H5Tget_super(type));
      return fmt::format("enum({})", base ? type_name(base.get()) : std::string("?"));
    }
    case H5T_ARRAY: {
      int rank = H5Tget_array_ndims(type);
      std::vector<hsize_t> dims(rank > 0 ? static_cast<size_t>(rank) : 0);
      if (rank > 0) H5Tget_array_dims2(type, dims.data());
      H5Handle base = type_handle(H5Tget_super(type));
      return fmt::format("array[{}] of {}", fmt::join(dims, "x"),
                         base ? type_name(base.get()) : std::string("?"));
    }
    case H5T_VLEN: {
      H5Handle base = type_handle(H5Tget_super(type));
      return fmt::format("vlen of {}", base ? type_name(base.get()) : std::string("?"));
    }
    case H5T_OPAQUE:
      return fmt::format("opaque{}", bits);
    case H5T_BITFIELD:
      return fmt::format("bitfield{}", bits);
    case H5T_REFERENCE:
      return "reference";
    case H5T_TIME:
      return "time";
    default:
      return "unknown";
  }
}

namespace {

std::string filter_name(H5Z_filter_t id, const char* reported) {
  switch (id) {
    case H5Z_FILTER_DEFLATE:
      return "gzip";
    case H5Z_FILTER_SHUFFLE:
      return "shuffle";
    case H5Z_FILTER_FLETCHER32:
      return "fletcher32";
    case H5Z_FILTER_SZIP:
      return "szip";
    case H5Z_FILTER_NBIT:
      return "nbit";
    case H5Z_FILTER_SCALEOFFSET:
      return "scaleoffset";
    // Registered third-party filters that h5py/hdf5plugin users write most often.
    case 307:
      return "bzip2";
    case 32000:
      return "lzf";
    case 32001:
      return "blosc";
    case 32004:
      return "lz4";
    case 32008:
      return "bitshuffle";
    case 32015:
      return "zstd";
    case 32017:
      return "sz";
    case 32026:
      return "blosc2";
    default:
      break;
  }
  if (reported != nullptr && reported[0] != '\0') return fmt::format("{} ({})", reported, id);
  return fmt::format("filter {}", id);
}

}  // namespace

DatasetLayout dataset_layout(hid_t dataset) {
  silence_hdf5_errors();
  DatasetLayout layout;
  H5Handle space = space_handle(H5Dget_space(dataset));
  if (space) {
    if (H5Sget_simple_extent_type(space.get()) == H5S_NULL) {
      layout.null_space = true;
    } else {
      int rank = H5Sget_simple_extent_ndims(space.get());
      if (rank > 0) {
        std::vector<hsize_t> dims(static_cast<size_t>(rank));
        H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
        layout.shape.assign(dims.begin(), dims.end());
      }
    }
  }
  H5Handle dcpl = plist_handle(H5Dget_create_plist(dataset));
  if (dcpl) {
    switch (H5Pget_layout(dcpl.get())) {
      case H5D_CHUNKED: {
        layout.storage = "chunked";
        int rank = H5Pget_chunk(dcpl.get(), 0, nullptr);
        if (rank > 0) {
          std::vector<hsize_t> chunk(static_cast<size_t>(rank));
          H5Pget_chunk(dcpl.get(), rank, chunk.data());
          layout.chunk.assign(chunk.begin(), chunk.end());
        }
        break;
      }
      case H5D_COMPACT:
        layout.storage = "compact";
        break;
      case H5D_VIRTUAL:
        layout.storage = "virtual";
        break;
      default:
        layout.storage = "contiguous";
        break;
    }
    int count = H5Pget_nfilters(dcpl.get());
    for (int i = 0; i < count; ++i) {
      unsigned flags = 0;
      size_t n_values = 0;
      char name[128] = {0};
      unsigned config = 0;
      H5Z_filter_t id = H5Pget_filter2(dcpl.get(), static_cast<unsigned>(i), &flags, &n_values,
                                       nullptr, sizeof(name), name, &config);
      if (id < 0) continue;
      FilterInfo filter;
      filter.id = static_cast<int>(id);
      filter.name = filter_name(id, name);
      filter.available = H5Zfilter_avail(id) > 0;
      layout.filters.push_back(filter);
    }
  }
  H5Eclear2(H5E_DEFAULT);
  return layout;
}

std::string filters_string(const std::vector<FilterInfo>& filters) {
  if (filters.empty()) return "none";
  std::string out;
  for (const FilterInfo& filter : filters) out += (out.empty() ? "" : "+") + filter.name;
  return out;
}

std::string shape_string(const DatasetLayout& layout) {
  if (layout.null_space) return "empty (null)";
  if (layout.shape.empty()) return "scalar";
  return fmt::format("{}", fmt::join(layout.shape, " x "));
}

}  // namespace unfriend::io
