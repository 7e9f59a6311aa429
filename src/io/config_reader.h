#pragma once
// Typed reading of a config.json object with the project's error rules: a missing required key
// or a wrong type is a ConfigError naming the file and key; keys nobody reads become warnings
// (collected, never printed: the library does not print). No torch here.
#include "base/errors.h"

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

namespace k3 {

class ConfigReader {
 public:
  ConfigReader(std::string file, const nlohmann::json& json) : file_(std::move(file)), json_(json) {
    if (!json_.is_object()) throw ConfigError(file_ + ": expected a JSON object, got " + std::string(json_.type_name()));
  }

  bool has(const std::string& key) {
    used_.insert(key);
    auto it = json_.find(key);
    return it != json_.end() && !it->is_null();
  }

  template <typename T>
  T required(const std::string& key) {
    if (!has(key)) throw ConfigError(file_ + ": expected key '" + key + "', got none");
    return convert<T>(key);
  }

  template <typename T>
  T optional(const std::string& key, T fallback) {
    if (!has(key)) return fallback;
    return convert<T>(key);
  }

  // Keys that are known and deliberately unused (bookkeeping, training-only settings).
  void ignore(std::initializer_list<const char*> keys) {
    for (const char* key : keys) used_.insert(key);
  }

  // One warning per key nobody read or ignored ("_"-prefixed bookkeeping keys are skipped).
  std::vector<std::string> unknown_key_warnings() const {
    std::vector<std::string> warnings;
    for (auto it = json_.begin(); it != json_.end(); ++it)
      if (!used_.count(it.key()) && !(it.key().size() && it.key()[0] == '_'))
        warnings.push_back(file_ + ": unknown key '" + it.key() + "' ignored");
    return warnings;
  }

  const std::string& file() const { return file_; }
  [[noreturn]] void fail(const std::string& key, const std::string& expected, const std::string& got) const {
    throw ConfigError(file_ + ": key '" + key + "': expected " + expected + ", got " + got);
  }

 private:
  template <typename T>
  T convert(const std::string& key) {
    const auto& value = json_.at(key);
    bool ok = false;
    if constexpr (std::is_same_v<T, bool>) ok = value.is_boolean();
    else if constexpr (std::is_integral_v<T>) ok = value.is_number_integer();
    else if constexpr (std::is_floating_point_v<T>) ok = value.is_number();
    else if constexpr (std::is_same_v<T, std::string>) ok = value.is_string();
    else ok = true;
    if (ok) {
      try {
        return value.get<T>();
      } catch (const nlohmann::json::exception&) {
      }
    }
    fail(key, type_label<T>(), value.dump());
  }
  template <typename T>
  static std::string type_label() {
    if constexpr (std::is_same_v<T, bool>) return "a boolean";
    else if constexpr (std::is_integral_v<T>) return "an integer";
    else if constexpr (std::is_floating_point_v<T>) return "a number";
    else if constexpr (std::is_same_v<T, std::string>) return "a string";
    else return "a value of another type";
  }

  std::string file_;
  const nlohmann::json& json_;
  std::set<std::string> used_;
};

}  // namespace k3
