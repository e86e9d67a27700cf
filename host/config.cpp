#include "host/config.hpp"
#include "host/text_file.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <type_traits>

namespace calo {

namespace {

template <typename T>
constexpr const char* type_name() {
  if constexpr (std::is_same_v<T, int> || std::is_same_v<T, int64_t>) return "an integer";
  if constexpr (std::is_same_v<T, double>) return "a number";
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  if constexpr (std::is_same_v<T, std::string>) return "a string";
  if constexpr (std::is_same_v<T, std::vector<int>>) return "a list of integers";
  if constexpr (std::is_same_v<T, std::vector<double>>) return "a list of numbers";
  if constexpr (std::is_same_v<T, std::vector<std::string>>) return "a list of strings";
  return "a value";
}

std::string line_of(const YAML::Node& node) {
  const auto mark = node.Mark();
  return mark.line >= 0 ? fmt::format(" (line {})", mark.line + 1) : std::string();
}

// yaml-cpp converts "1.5" to int by truncation in some versions and accepts "yes" as bool; be
// strict.
template <typename T>
T convert_scalar(const YAML::Node& node, bool& ok) {
  ok = false;
  if (!node.IsScalar()) return T{};
  const std::string& text = node.Scalar();
  try {
    if constexpr (std::is_same_v<T, int> || std::is_same_v<T, int64_t>) {
      size_t used = 0;
      const long long v = std::stoll(text, &used, 10);
      if (used != text.size()) return T{};
      if constexpr (std::is_same_v<T, int>) {
        if (v < INT32_MIN || v > INT32_MAX) return T{};
      }
      ok = true;
      return static_cast<T>(v);
    } else if constexpr (std::is_same_v<T, double>) {
      size_t used = 0;
      const double v = std::stod(text, &used);
      if (used != text.size()) return T{};
      ok = true;
      return v;
    } else if constexpr (std::is_same_v<T, bool>) {
      if (text == "true" || text == "True") return ok = true, true;
      if (text == "false" || text == "False") return ok = true, false;
      return false;
    } else {
      ok = true;
      return text;
    }
  } catch (const std::exception&) {
    return T{};
  }
}

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};

}  // namespace

Config Config::load_file(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    fail_input("config file '{}' does not exist", path);
  }
  const auto text = read_text_file(path);
  if (!text) fail_input("cannot open config file '{}'", path);
  return load_string(*text, path);
}

Config Config::load_string(const std::string& text, const std::string& origin) {
  auto state = std::make_shared<State>();
  state->origin = origin;
  try {
    state->document = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail_input("{}: invalid YAML at line {}, column {}: {}", origin, e.mark.line + 1,
               e.mark.column + 1, e.msg);
  }
  if (state->document.IsNull()) state->document = YAML::Node(YAML::NodeType::Map);
  if (!state->document.IsMap()) {
    fail_input("{}: the top level must be a map of 'key: value' entries", origin);
  }
  return Config(state);
}

ConfigNode Config::root() const {
  return ConfigNode(state_, state_->document, "");
}

void Config::check_all_keys_used() const {
  // Depth-first walk: a key that was never read is unknown; recurse only into maps read as
  // children.
  std::function<void(const YAML::Node&, const std::string&)> walk = [&](const YAML::Node& node,
                                                                        const std::string& prefix) {
    std::vector<std::string> known;
    for (const auto& path : state_->used) {
      const bool below = prefix.empty() ? true : path.rfind(prefix + ".", 0) == 0;
      if (!below) continue;
      std::string rest = prefix.empty() ? path : path.substr(prefix.size() + 1);
      if (!rest.empty() && rest.back() == '.')
        rest.pop_back();  // "child." marks a map read as child
      if (!rest.empty() && rest.find('.') == std::string::npos &&
          std::find(known.begin(), known.end(), rest) == known.end()) {
        known.push_back(rest);
      }
    }
    for (const auto& entry : node) {
      if (!entry.first.IsScalar())
        fail_input("{}: a key{} is a list or map; keys must be plain names", state_->origin,
                   line_of(entry.first));
      const std::string key = entry.first.Scalar();
      const std::string path = prefix.empty() ? key : prefix + "." + key;
      if (!state_->used.count(path)) {
        fail_input("{}: unknown key '{}'{}; valid keys here are: {}", state_->origin, path,
                   line_of(entry.first),
                   known.empty() ? "(none)" : fmt::format("{}", fmt::join(known, ", ")));
      }
      if (entry.second.IsMap() && state_->used.count(path + ".")) walk(entry.second, path);
    }
  };
  walk(state_->document, "");
}

bool ConfigNode::has(std::string_view key) const {
  return node_.IsMap() && node_[std::string(key)].IsDefined() && !node_[std::string(key)].IsNull();
}

std::string ConfigNode::full_key(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void ConfigNode::mark_used(std::string_view key) const {
  state_->used.insert(full_key(key));
}

std::string ConfigNode::where(std::string_view key) const {
  std::string line;
  if (has(key)) line = line_of(node_[std::string(key)]);
  return fmt::format("key '{}' in {}{}", full_key(key), state_->origin, line);
}

YAML::Node ConfigNode::value_node(std::string_view key) const {
  mark_used(key);
  if (!has(key)) fail_input("{}: required key '{}' is missing", state_->origin, full_key(key));
  return node_[std::string(key)];
}

template <typename T>
T ConfigNode::get(std::string_view key) const {
  const YAML::Node value = value_node(key);
  bool ok = false;
  if constexpr (is_vector<T>::value) {
    T out;
    if (value.IsSequence()) {
      ok = true;
      for (const auto& item : value) {
        bool item_ok = false;
        out.push_back(convert_scalar<typename T::value_type>(item, item_ok));
        ok = ok && item_ok;
      }
    }
    if (!ok) fail_input("{} must be {}", where(key), type_name<T>());
    return out;
  } else {
    T out = convert_scalar<T>(value, ok);
    if (!ok) {
      fail_input("{} must be {}, got '{}'", where(key), type_name<T>(),
                 value.IsScalar() ? value.Scalar() : std::string("a list or map"));
    }
    return out;
  }
}

ConfigNode ConfigNode::child(std::string_view key) const {
  const YAML::Node value = value_node(key);
  if (!value.IsMap()) fail_input("{} must be a map of 'key: value' entries", where(key));
  state_->used.insert(full_key(key) +
                      ".");  // marks "descend into this map" for the unknown-key walk
  return ConfigNode(state_, value, full_key(key));
}

ConfigNode ConfigNode::optional_child(std::string_view key) const {
  if (has(key)) return child(key);
  mark_used(key);
  return ConfigNode(state_, YAML::Node(YAML::NodeType::Map), full_key(key));
}

template int ConfigNode::get<int>(std::string_view) const;
template int64_t ConfigNode::get<int64_t>(std::string_view) const;
template double ConfigNode::get<double>(std::string_view) const;
template bool ConfigNode::get<bool>(std::string_view) const;
template std::string ConfigNode::get<std::string>(std::string_view) const;
template std::vector<int> ConfigNode::get<std::vector<int>>(std::string_view) const;
template std::vector<double> ConfigNode::get<std::vector<double>>(std::string_view) const;
template std::vector<std::string> ConfigNode::get<std::vector<std::string>>(std::string_view) const;

}  // namespace calo
