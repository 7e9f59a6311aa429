#pragma once
// Small helpers for reading diffusers config.json files with errors that name file and key.
#include "base/errors.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace k3::config_json {

// Reads keys of one JSON object, remembering which were used, so that the rest can be reported.
class KeyReader {
 public:
  KeyReader(const nlohmann::json& json, std::string source);

  int64_t required_int(const std::string& key);
  int64_t optional_int(const std::string& key, int64_t fallback);
  double optional_double(const std::string& key, double fallback);
  bool optional_bool(const std::string& key, bool fallback);
  std::string required_string(const std::string& key);
  std::string optional_string(const std::string& key, const std::string& fallback);
  std::vector<int64_t> required_int_list(const std::string& key);
  std::vector<std::string> required_string_list(const std::string& key);
  bool has(const std::string& key) const;
  // Marks a key as known without reading it (e.g. informational keys).
  void ignore(const std::string& key);
  // "unknown key 'x' in FILE (ignored)" for every key not read or ignored; '_'-prefixed
  // metadata keys are skipped.
  std::vector<std::string> unknown_key_warnings() const;
  // Throws ConfigError "<source>: key '<key>': expected <what>, got <got>".
  [[noreturn]] void fail(const std::string& key, const std::string& expected, const std::string& got) const;

 private:
  const nlohmann::json& value(const std::string& key, bool required);
  const nlohmann::json& json_;
  std::string source_;
  std::set<std::string> used_;
};

}  // namespace k3::config_json
