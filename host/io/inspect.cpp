// describe_file: list every object, the root attributes, and run the input validation.
#include "host/io/inspect.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <limits>
#include <map>
#include <vector>

#include "host/core/error.h"
#include "host/io/action_log.h"
#include "host/io/h5_handle.h"
#include "host/io/h5_open.h"
#include "host/io/h5_types.h"

namespace unfriend {

using io::H5Handle;

namespace {

constexpr size_t kMaxShownStringChars = 60;
constexpr int64_t kMaxShownValues = 8;

std::string shorten(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r' || c == '\t') {
      out += ' ';
    } else {
      out += c;
    }
  }
  if (out.size() > kMaxShownStringChars) {
    // Do not cut a UTF-8 sequence in half.
    size_t cut = kMaxShownStringChars;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out = out.substr(0, cut) + "...";
  }
  return out;
}

std::string attribute_value(hid_t attribute, hid_t type, hid_t space) {
  hssize_t points =
      H5Sget_simple_extent_type(space) == H5S_NULL ? 0 : H5Sget_simple_extent_npoints(space);
  if (points < 0) return "?";
  const H5T_class_t type_class = H5Tget_class(type);
  if (type_class == H5T_STRING && points == 1) {
    H5Handle memory = io::type_handle(H5Tcopy(H5T_C_S1));
    H5Tset_cset(memory.get(), H5Tget_cset(type));
    std::string value;
    if (H5Tis_variable_str(type) > 0) {
      H5Tset_size(memory.get(), H5T_VARIABLE);
      char* pointer = nullptr;
      if (H5Aread(attribute, memory.get(), &pointer) < 0) return "?";
      value = pointer != nullptr ? pointer : "";
      H5Dvlen_reclaim(memory.get(), space, H5P_DEFAULT, &pointer);
    } else {
      const size_t size = H5Tget_size(type);
      H5Tset_size(memory.get(), size);
      std::vector<char> buffer(size + 1, '\0');
      if (H5Aread(attribute, memory.get(), buffer.data()) < 0) return "?";
      value = buffer.data();  // stops at the first NUL; the extra byte guarantees one
      if (H5Tget_strpad(type) == H5T_STR_SPACEPAD) {
        value.erase(value.find_last_not_of(' ') + 1);
      }
    }
    return "\"" + shorten(value) + "\"";
  }
  if ((type_class == H5T_INTEGER || type_class == H5T_FLOAT) && points >= 1 &&
      points <= kMaxShownValues) {
    std::vector<std::string> shown;
    if (type_class == H5T_FLOAT) {
      std::vector<double> values(static_cast<size_t>(points));
      if (H5Aread(attribute, H5T_NATIVE_DOUBLE, values.data()) < 0) return "?";
      for (double v : values) shown.push_back(fmt::format("{}", v));
    } else if (H5Tget_sign(type) == H5T_SGN_NONE) {
      std::vector<uint64_t> values(static_cast<size_t>(points));
      if (H5Aread(attribute, H5T_NATIVE_UINT64, values.data()) < 0) return "?";
      for (uint64_t v : values) shown.push_back(fmt::format("{}", v));
    } else {
      std::vector<int64_t> values(static_cast<size_t>(points));
      if (H5Aread(attribute, H5T_NATIVE_INT64, values.data()) < 0) return "?";
      for (int64_t v : values) shown.push_back(fmt::format("{}", v));
    }
    if (H5Sget_simple_extent_ndims(space) == 0) return shown.front();
    return fmt::format("[{}]", fmt::join(shown, ", "));
  }
  return fmt::format("<{} values>", points);
}

struct Listing {
  hid_t file = -1;
  int64_t max_objects = 0;
  FileDescription* out = nullptr;
};

herr_t list_object(hid_t root, const char* name, const H5O_info_t* info, void* data) {
  auto* listing = static_cast<Listing*>(data);
  FileDescription& out = *listing->out;
  ++out.objects_total;
  if (static_cast<int64_t>(out.objects.size()) >= listing->max_objects) return 0;
  ObjectDescription object;
  const std::string relative = name;
  object.path = relative == "." ? std::string("/") : io::normalize_path(relative);
  object.attributes = static_cast<int64_t>(info->num_attrs);
  switch (info->type) {
    case H5O_TYPE_GROUP:
      object.kind = "group";
      break;
    case H5O_TYPE_NAMED_DATATYPE:
      object.kind = "datatype";
      break;
    case H5O_TYPE_DATASET: {
      object.kind = "dataset";
      H5Handle dataset = io::dataset_handle(H5Dopen2(root, name, H5P_DEFAULT));
      if (!dataset) {
        object.dtype = "?";
        object.shape_text = "unreadable";
        break;
      }
      const io::DatasetLayout layout = io::dataset_layout(dataset.get());
      object.shape = layout.shape;
      object.shape_text = io::shape_string(layout);
      object.storage = layout.storage;
      object.chunk = layout.chunk;
      object.filters = io::filters_string(layout.filters);
      H5Handle type = io::type_handle(H5Dget_type(dataset.get()));
      object.dtype = type ? io::type_name(type.get()) : std::string("?");
      break;
    }
    default:
      object.kind = "other";
      break;
  }
  H5Eclear2(H5E_DEFAULT);
  out.objects.push_back(std::move(object));
  return 0;
}

void list_root_attributes(hid_t file, FileDescription& out) {
  H5O_info_t info{};
  if (H5Oget_info2(file, &info, H5O_INFO_NUM_ATTRS) < 0) return;
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    H5Handle attribute = io::attribute_handle(
        H5Aopen_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT));
    if (!attribute) continue;
    AttributeDescription described;
    ssize_t length = H5Aget_name(attribute.get(), 0, nullptr);
    if (length > 0) {
      std::vector<char> name(static_cast<size_t>(length) + 1, '\0');
      H5Aget_name(attribute.get(), name.size(), name.data());
      described.name = name.data();
    }
    H5Handle type = io::type_handle(H5Aget_type(attribute.get()));
    H5Handle space = io::space_handle(H5Aget_space(attribute.get()));
    if (type && space) {
      described.dtype = io::type_name(type.get());
      described.value = attribute_value(attribute.get(), type.get(), space.get());
    } else {
      described.dtype = "?";
      described.value = "?";
    }
    out.root_attributes.push_back(std::move(described));
  }
  H5Eclear2(H5E_DEFAULT);
}

void validate(FileDescription& out, const DescribeOptions& options) {
  FeatureReader reader(out.file, options.features_path, options.ids_path);
  if (options.ids_required && !reader.info().has_ids) {
    throw InputError(
        fmt::format("{}: missing ids dataset {}", out.file, io::normalize_path(options.ids_path)));
  }
  out.unique_ids = static_cast<int64_t>(reader.read_ids().size());
  out.suggested_block_rows = reader.suggested_block_rows();
  if (options.read_all_rows) {
    const InputInfo& info = reader.info();
    const int64_t block = reader.suggested_block_rows(int64_t{16} << 20);
    std::vector<float> buffer(static_cast<size_t>(block * info.cols));
    for (int64_t begin = 0; begin < info.rows; begin += block) {
      reader.read_rows(begin, std::min(block, info.rows - begin), buffer.data());
    }
  }
  out.input = reader.info();
  out.valid_input = true;
}

void describe_actions(const std::string& file, ActionLogDescription& out) {
  out.present = true;
  try {
    ActionLogReader reader(file);
    out.rows = reader.info().rows;
    out.has_kind = reader.info().has_kind;
    const bool count = out.rows <= 100000000;
    std::vector<int64_t> accounts, targets;
    std::map<int32_t, int64_t> kinds;
    out.first_time = std::numeric_limits<int64_t>::max();
    out.last_time = std::numeric_limits<int64_t>::min();
    reader.for_each_block(int64_t{1} << 22, [&](const ActionBlock& b) {
      if (count) {
        accounts.insert(accounts.end(), b.account.begin(), b.account.end());
        targets.insert(targets.end(), b.target.begin(), b.target.end());
      }
      for (size_t i = 0; i < b.time.size(); ++i) {
        out.first_time = std::min(out.first_time, b.time[i]);
        out.last_time = std::max(out.last_time, b.time[i]);
        ++kinds[b.kind[i]];
      }
    });
    auto distinct = [](std::vector<int64_t>& v) {
      std::sort(v.begin(), v.end());
      return static_cast<int64_t>(std::unique(v.begin(), v.end()) - v.begin());
    };
    if (count) {
      out.accounts = distinct(accounts);
      out.targets = distinct(targets);
    }
    out.kinds.assign(kinds.begin(), kinds.end());
    out.valid = true;
  } catch (const InputError& e) {
    out.valid = false;
    out.reason = e.what();
  }
}

std::string human_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

}  // namespace

FileDescription describe_file(const std::string& file, const DescribeOptions& options) {
  io::silence_hdf5_errors();
  FileDescription out;
  out.file = file;
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0) out.size_bytes = static_cast<int64_t>(st.st_size);
  H5Handle handle;
  try {
    handle = io::open_for_reading(file);
  } catch (const InputError& e) {
    out.reason = e.what();
    return out;
  }
  out.is_hdf5 = true;
  Listing listing{handle.get(), std::max<int64_t>(0, options.max_objects), &out};
  // A damaged object header stops the walk; what was listed so far is still worth showing,
  // and the validation below names the problem.
  H5Ovisit2(handle.get(), H5_INDEX_NAME, H5_ITER_INC, list_object, &listing,
            H5O_INFO_BASIC | H5O_INFO_NUM_ATTRS);
  H5Eclear2(H5E_DEFAULT);
  list_root_attributes(handle.get(), out);
  handle.reset();
  try {
    validate(out, options);
  } catch (const InputError& e) {
    // Only bad input is a verdict; out of memory and the like stay failures of the run.
    out.valid_input = false;
    out.reason = e.what();
  }
  for (const ObjectDescription& o : out.objects) {
    if (o.path == "/actions/account") describe_actions(file, out.actions);
  }
  return out;
}

std::string format_description(const FileDescription& d) {
  std::string text = fmt::format("file: {} ({})\n", d.file, human_bytes(d.size_bytes));
  if (!d.is_hdf5) return text + fmt::format("not readable: {}\n", d.reason);
  size_t width = 0;
  for (const ObjectDescription& o : d.objects) width = std::max(width, o.path.size());
  text += "objects:\n";
  for (const ObjectDescription& o : d.objects) {
    std::string line = fmt::format("  {:<{}}  {}", o.path, width, o.kind);
    if (o.kind == "dataset") {
      line += fmt::format("   {}  {}", o.shape_text, o.dtype);
      if (o.chunk.empty()) {
        line += fmt::format("  {}", o.storage);
      } else {
        line += fmt::format("  chunks {}", fmt::join(o.chunk, " x "));
      }
      if (o.filters != "none" && !o.filters.empty()) line += "  " + o.filters;
    }
    if (o.attributes > 0) {
      line += fmt::format("  ({} attribute{})", o.attributes, o.attributes == 1 ? "" : "s");
    }
    text += line + "\n";
  }
  if (d.objects_total > static_cast<int64_t>(d.objects.size())) {
    text += fmt::format("  ... and {} more objects\n",
                        d.objects_total - static_cast<int64_t>(d.objects.size()));
  }
  if (!d.root_attributes.empty()) {
    text += "root attributes:\n";
    for (const AttributeDescription& a : d.root_attributes) {
      text += fmt::format("  {} = {}\n", a.name, a.value);
    }
  }
  if (d.valid_input) {
    const InputInfo& in = d.input;
    std::string layout = in.chunk.empty() ? std::string("contiguous")
                                          : fmt::format("chunks of {} rows", in.chunk.front());
    if (in.compression != "none") layout += ", " + in.compression;
    text += fmt::format(
        "input: valid: {} accounts x {} features ({}, {}) from {}; ids {}; block {} rows\n",
        in.rows, in.cols, in.dtype, layout, in.features_path,
        in.has_ids ? fmt::format("from {} (unique)", in.ids_path) : std::string("= row index"),
        d.suggested_block_rows);
  } else if (d.actions.present) {
    text += "features: none (an action log; see below)\n";
  } else {
    text += fmt::format("input: NOT valid: {}\n", d.reason);
  }
  if (d.actions.present) {
    const ActionLogDescription& a = d.actions;
    if (!a.valid) {
      text += fmt::format("action log: NOT valid: {}\n", a.reason);
    } else {
      std::vector<std::string> kinds;
      for (const auto& [code, count] : a.kinds) {
        kinds.push_back(fmt::format("{} {}", action_kind_name(code), count));
      }
      text += fmt::format(
          "action log: valid: {} actions by {} accounts on {} targets, Unix time {} .. {} ({:.1f} "
          "days); kinds: {}{}\n",
          a.rows, a.accounts >= 0 ? std::to_string(a.accounts) : std::string("(not counted)"),
          a.targets >= 0 ? std::to_string(a.targets) : std::string("(not counted)"), a.first_time,
          a.last_time, (a.last_time - a.first_time) / 86400.0, fmt::join(kinds, ", "),
          a.has_kind ? "" : " (no /actions/kind: all counted as view)");
    }
  }
  return text;
}

nlohmann::json description_to_json(const FileDescription& d) {
  nlohmann::json out;
  out["file"] = d.file;
  out["size_bytes"] = d.size_bytes;
  out["hdf5"] = d.is_hdf5;
  nlohmann::json objects = nlohmann::json::array();
  for (const ObjectDescription& o : d.objects) {
    nlohmann::json object = {{"path", o.path}, {"kind", o.kind}, {"attributes", o.attributes}};
    if (o.kind == "dataset") {
      object["shape"] = o.shape;
      object["dtype"] = o.dtype;
      object["storage"] = o.storage;
      object["chunk"] = o.chunk.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.chunk);
      object["filters"] = o.filters;
    }
    objects.push_back(std::move(object));
  }
  out["objects"] = std::move(objects);
  out["objects_total"] = d.objects_total;
  nlohmann::json attributes = nlohmann::json::object();
  for (const AttributeDescription& a : d.root_attributes) {
    attributes[a.name] = {{"dtype", a.dtype}, {"value", a.value}};
  }
  out["root_attributes"] = std::move(attributes);
  out["valid"] = d.valid_input;
  if (d.valid_input) {
    const InputInfo& in = d.input;
    out["input"] = {
        {"features", in.features_path},
        {"ids", in.has_ids ? nlohmann::json(in.ids_path) : nlohmann::json(nullptr)},
        {"rows", in.rows},
        {"cols", in.cols},
        {"dtype", in.dtype},
        {"chunk", in.chunk.empty() ? nlohmann::json(nullptr) : nlohmann::json(in.chunk)},
        {"compression", in.compression},
        {"suggested_block_rows", d.suggested_block_rows}};
    out["reason"] = nullptr;
  } else {
    out["input"] = nullptr;
    out["reason"] = d.reason;
  }
  if (d.actions.present) {
    const ActionLogDescription& a = d.actions;
    nlohmann::json kinds = nlohmann::json::object();
    for (const auto& [code, count] : a.kinds) kinds[action_kind_name(code)] = count;
    out["actions"] = {
        {"valid", a.valid},
        {"reason", a.valid ? nlohmann::json(nullptr) : nlohmann::json(a.reason)},
        {"rows", a.rows},
        {"accounts", a.accounts >= 0 ? nlohmann::json(a.accounts) : nlohmann::json(nullptr)},
        {"targets", a.targets >= 0 ? nlohmann::json(a.targets) : nlohmann::json(nullptr)},
        {"first_time", a.first_time},
        {"last_time", a.last_time},
        {"has_kind", a.has_kind},
        {"kinds", kinds}};
  } else {
    out["actions"] = nullptr;
  }
  return out;
}

}  // namespace unfriend
