#include "host/importer/recipe.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "host/core/error.h"
#include "host/importer/timestamp.h"

namespace unfriend {
namespace {

const char* type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

// Builds "SOURCE:LINE: where: what" messages for the node being validated.
class Validator {
 public:
  explicit Validator(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const toml::node* node, const std::string& where,
                         const std::string& what) const {
    std::string place = source_;
    if (node != nullptr && node->source().begin.line > 0) {
      place += fmt::format(":{}", node->source().begin.line);
    }
    throw InputError(where.empty() ? fmt::format("{}: {}", place, what)
                                   : fmt::format("{}: {}: {}", place, where, what));
  }

  void only_keys(const toml::table& table, const std::string& where,
                 const std::set<std::string>& allowed) const {
    for (auto&& [key, node] : table) {
      if (allowed.count(std::string(key.str())) == 0) {
        std::string list;
        for (const auto& name : allowed) list += (list.empty() ? "" : ", ") + name;
        fail(&node, where, fmt::format("unknown key '{}' (allowed here: {})", key.str(), list));
      }
    }
  }

  std::string string(const toml::node& node, const std::string& where, const std::string& key,
                     bool allow_empty = false) const {
    if (!node.is_string()) {
      fail(&node, where, fmt::format("'{}' must be a string, not {}", key, type_name(node)));
    }
    std::string value = node.as_string()->get();
    if (value.empty() && !allow_empty) fail(&node, where, fmt::format("'{}' is empty", key));
    return value;
  }

  std::string required_string(const toml::table& table, const std::string& where,
                              const std::string& key) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) fail(&table, where, fmt::format("'{}' is required", key));
    return string(*node, where, key);
  }

  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

FeatureSpec parse_feature(const Validator& v, const toml::table& table, size_t index) {
  const std::string where = fmt::format("features[{}]", index);
  v.only_keys(table, where,
              {"name", "column", "transform", "denominator", "date_column", "missing"});
  FeatureSpec spec;
  spec.name = v.required_string(table, where, "name");
  const std::string named = fmt::format("feature '{}'", spec.name);
  spec.column = v.required_string(table, named, "column");
  const std::string transform = v.required_string(table, named, "transform");
  if (!transform_from_string(transform, spec.transform)) {
    v.fail(table.get("transform"), named,
           fmt::format("unknown transform '{}' (one of: {})", transform,
                       fmt::join(transform_names(), ", ")));
  }

  const toml::node* denominator = table.get("denominator");
  const toml::node* date_column = table.get("date_column");
  if (spec.transform == Transform::ratio) {
    if (date_column) v.fail(date_column, named, "'date_column' is for per_day, not ratio");
    spec.second_column = v.required_string(table, named, "denominator");
  } else if (spec.transform == Transform::per_day) {
    if (denominator) v.fail(denominator, named, "'denominator' is for ratio, not per_day");
    spec.second_column = v.required_string(table, named, "date_column");
  } else {
    if (denominator) {
      v.fail(denominator, named,
             fmt::format("'denominator' only goes with transform 'ratio', not '{}'", transform));
    }
    if (date_column) {
      v.fail(date_column, named,
             fmt::format("'date_column' only goes with transform 'per_day', not '{}'", transform));
    }
  }

  if (const toml::node* missing = table.get("missing")) {
    if (missing->is_string()) {
      if (missing->as_string()->get() != "error") {
        v.fail(missing, named,
               fmt::format("'missing' must be a number or \"error\", not \"{}\"",
                           missing->as_string()->get()));
      }
      spec.missing.is_error = true;
    } else if (missing->is_integer()) {
      spec.missing.value = static_cast<double>(missing->as_integer()->get());
    } else if (missing->is_floating_point()) {
      spec.missing.value = missing->as_floating_point()->get();
      if (!std::isfinite(spec.missing.value)) {
        v.fail(missing, named, "'missing' must be a finite number");
      }
    } else {
      v.fail(missing, named,
             fmt::format("'missing' must be a number or \"error\", not {}", type_name(*missing)));
    }
  }
  return spec;
}

RecipeFile parse_file(const Validator& v, const toml::table& table, size_t index) {
  const std::string where = fmt::format("files[{}]", index);
  v.only_keys(table, where, {"path", "truth"});
  RecipeFile file;
  file.path = v.required_string(table, where, "path");
  if (const toml::node* truth = table.get("truth")) {
    if (!truth->is_integer()) {
      v.fail(truth, where, fmt::format("'truth' must be an integer, not {}", type_name(*truth)));
    }
    file.truth = truth->as_integer()->get();
    if (*file.truth < -1) {
      v.fail(truth, where,
             fmt::format("'truth' is {}; use -1 for genuine or a farm id >= 0", *file.truth));
    }
  }
  return file;
}

const toml::array& array_of_tables(const Validator& v, const toml::node& node,
                                   const std::string& key) {
  if (!node.is_array_of_tables()) {
    v.fail(&node, "",
           fmt::format("'{}' must be an array of tables ([[{}]] entries), not {}", key, key,
                       type_name(node)));
  }
  return *node.as_array();
}

double parse_reference_time(const Validator& v, const toml::node& node) {
  std::string text;
  if (node.is_string()) {
    text = node.as_string()->get();
  } else if (node.is_date_time() || node.is_date()) {
    std::ostringstream out;  // toml++ prints dates in RFC 3339, which parse_timestamp reads
    if (node.is_date_time()) {
      out << node.as_date_time()->get();
    } else {
      out << node.as_date()->get();
    }
    text = out.str();
  } else {
    v.fail(&node, "",
           fmt::format("'reference_time' must be an RFC 3339 string, not {}", type_name(node)));
  }
  const std::optional<double> seconds = parse_timestamp(text);
  if (!seconds) {
    v.fail(&node, "",
           fmt::format("reference_time '{}' is not an RFC 3339 time such as "
                       "\"2017-01-01T00:00:00Z\"",
                       text));
  }
  return *seconds;
}

}  // namespace

Recipe parse_recipe(const std::string& text, const std::string& source) {
  const Validator v(source);
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::string description(e.description());
    for (char& c : description) {
      if (c == '\n') c = ' ';
    }
    throw InputError(fmt::format("{}:{}:{}: TOML syntax error: {}", source, e.source().begin.line,
                                 e.source().begin.column, description));
  }

  v.only_keys(root, "",
              {"description", "id_column", "truth_column", "reference_time", "files", "features"});
  Recipe recipe;
  recipe.source = source;
  recipe.text = text;
  if (const toml::node* node = root.get("description")) {
    recipe.description = v.string(*node, "", "description", true);
  }
  if (const toml::node* node = root.get("id_column")) {
    recipe.id_column = v.string(*node, "", "id_column");
  }
  if (const toml::node* node = root.get("truth_column")) {
    recipe.truth_column = v.string(*node, "", "truth_column");
  }
  if (const toml::node* node = root.get("reference_time")) {
    recipe.reference_time = parse_reference_time(v, *node);
  }
  if (const toml::node* node = root.get("files")) {
    const toml::array& files = array_of_tables(v, *node, "files");
    for (size_t i = 0; i < files.size(); ++i) {
      recipe.files.push_back(parse_file(v, *files[i].as_table(), i));
    }
  }
  const toml::node* features_node = root.get("features");
  if (features_node == nullptr) {
    v.fail(nullptr, "", "no [[features]] entries; a recipe needs at least one feature");
  }
  const toml::array& features = array_of_tables(v, *features_node, "features");
  std::set<std::string> names;
  for (size_t i = 0; i < features.size(); ++i) {
    FeatureSpec spec = parse_feature(v, *features[i].as_table(), i);
    if (!names.insert(spec.name).second) {
      v.fail(features[i].as_table(), fmt::format("features[{}]", i),
             fmt::format("feature name '{}' is used twice", spec.name));
    }
    if (needs_reference_time(spec.transform) && !recipe.reference_time) {
      v.fail(features[i].as_table(), fmt::format("feature '{}'", spec.name),
             fmt::format("transform '{}' needs a top-level reference_time "
                         "(e.g. reference_time = \"2017-01-01T00:00:00Z\")",
                         to_string(spec.transform)));
    }
    recipe.features.push_back(std::move(spec));
  }
  if (recipe.features.empty()) {
    v.fail(features_node, "", "no [[features]] entries; a recipe needs at least one feature");
  }
  return recipe;
}

Recipe load_recipe(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(fmt::format(
        "{}: cannot read recipe ({})", path,
        std::filesystem::exists(path) ? "permission denied or a folder" : "no such file"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  Recipe recipe = parse_recipe(text.str(), path);
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  recipe.folder = folder.empty() ? std::string(".") : folder.string();
  return recipe;
}

}  // namespace unfriend
