#pragma once
// YAML configuration with validation. Every read names the full key path and the file; after
// reading, check_all_keys_used() rejects keys the program never asked for (typos), listing the
// keys that are valid at that level.
#include <yaml-cpp/yaml.h>

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "host/error.hpp"

namespace calo {

class ConfigNode;

// A whole YAML document. Owns the record of which keys were read.
class Config {
 public:
  static Config load_file(const std::string& path);
  static Config load_string(const std::string& text, const std::string& origin = "<string>");

  ConfigNode root() const;
  const std::string& origin() const { return state_->origin; }

  // Throws InputError for the first key that no get()/child() call touched.
  void check_all_keys_used() const;

  struct State {
    std::string origin;
    YAML::Node document;
    std::set<std::string> used;  // full dotted paths
  };

 private:
  explicit Config(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

class ConfigNode {
 public:
  ConfigNode(std::shared_ptr<Config::State> state, YAML::Node node, std::string path)
      : state_(std::move(state)), node_(std::move(node)), path_(std::move(path)) {}

  bool has(std::string_view key) const;

  // Required value: missing or wrong type -> InputError naming key, file and line.
  template <typename T>
  T get(std::string_view key) const;

  // Optional value with a default; a present value of the wrong type is still an error.
  template <typename T>
  T get(std::string_view key, const T& fallback) const {
    return has(key) ? get<T>(key) : (mark_used(key), fallback);
  }

  // A nested map (required, or optional: an absent optional child reads as an empty map).
  ConfigNode child(std::string_view key) const;
  ConfigNode optional_child(std::string_view key) const;

  const std::string& path() const { return path_; }
  std::string where(std::string_view key) const;  // "key 'a.b' in file.yaml (line 3)"

 private:
  std::string full_key(std::string_view key) const;
  void mark_used(std::string_view key) const;
  YAML::Node value_node(std::string_view key) const;

  std::shared_ptr<Config::State> state_;
  YAML::Node node_;
  std::string path_;
};

// Explicit instantiations live in config.cpp for these types.
extern template int ConfigNode::get<int>(std::string_view) const;
extern template int64_t ConfigNode::get<int64_t>(std::string_view) const;
extern template double ConfigNode::get<double>(std::string_view) const;
extern template bool ConfigNode::get<bool>(std::string_view) const;
extern template std::string ConfigNode::get<std::string>(std::string_view) const;
extern template std::vector<int> ConfigNode::get<std::vector<int>>(std::string_view) const;
extern template std::vector<double> ConfigNode::get<std::vector<double>>(std::string_view) const;
extern template std::vector<std::string> ConfigNode::get<std::vector<std::string>>(
    std::string_view) const;

}  // namespace calo
