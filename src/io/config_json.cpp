// Shared reading of diffusers config.json files (see config_json.h).
#include "src/io/config_json.h"


namespace k3::config_json {

KeyReader::KeyReader(const nlohmann::json& json, std::string source) : json_(json), source_(std::move(source)) {
  if (!json_.is_object()) throw ConfigError(source_ + ": expected a JSON object, got " + json_.type_name());
}

void KeyReader::fail(const std::string& key, const std::string& expected, const std::string& got) const {
  throw ConfigError(source_ + ": key '" + key + "': expected " + expected + ", got " + got);
}

bool KeyReader::has(const std::string& key) const { return json_.contains(key) && !json_.at(key).is_null(); }

void KeyReader::ignore(const std::string& key) { used_.insert(key); }

const nlohmann::json& KeyReader::value(const std::string& key, bool required) {
  used_.insert(key);
  if (!json_.contains(key)) {
    if (required) throw ConfigError(source_ + ": missing required key '" + key + "'");
    static const nlohmann::json null_value;
    return null_value;
  }
  return json_.at(key);
}

int64_t KeyReader::required_int(const std::string& key) {
  const auto& v = value(key, true);
  if (!v.is_number_integer()) fail(key, "an integer", v.dump());
  return v.get<int64_t>();
}

int64_t KeyReader::optional_int(const std::string& key, int64_t fallback) {
  const auto& v = value(key, false);
  if (v.is_null()) return fallback;
  if (!v.is_number_integer()) fail(key, "an integer", v.dump());
  return v.get<int64_t>();
}

double KeyReader::optional_double(const std::string& key, double fallback) {
  const auto& v = value(key, false);
  if (v.is_null()) return fallback;
  if (!v.is_number()) fail(key, "a number", v.dump());
  return v.get<double>();
}

bool KeyReader::optional_bool(const std::string& key, bool fallback) {
  const auto& v = value(key, false);
  if (v.is_null()) return fallback;
  if (!v.is_boolean()) fail(key, "true or false", v.dump());
  return v.get<bool>();
}

std::string KeyReader::required_string(const std::string& key) {
  const auto& v = value(key, true);
  if (!v.is_string()) fail(key, "a string", v.dump());
  return v.get<std::string>();
}

std::string KeyReader::optional_string(const std::string& key, const std::string& fallback) {
  const auto& v = value(key, false);
  if (v.is_null()) return fallback;
  if (!v.is_string()) fail(key, "a string", v.dump());
  return v.get<std::string>();
}

std::vector<int64_t> KeyReader::required_int_list(const std::string& key) {
  const auto& v = value(key, true);
  if (!v.is_array() || v.empty()) fail(key, "a non-empty list of integers", v.dump());
  std::vector<int64_t> out;
  for (const auto& item : v) {
    if (!item.is_number_integer()) fail(key, "a list of integers", v.dump());
    out.push_back(item.get<int64_t>());
  }
  return out;
}

std::vector<std::string> KeyReader::required_string_list(const std::string& key) {
  const auto& v = value(key, true);
  if (!v.is_array() || v.empty()) fail(key, "a non-empty list of strings", v.dump());
  std::vector<std::string> out;
  for (const auto& item : v) {
    if (!item.is_string()) fail(key, "a list of strings", v.dump());
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::vector<std::string> KeyReader::unknown_key_warnings() const {
  std::vector<std::string> warnings;
  for (auto it = json_.begin(); it != json_.end(); ++it) {
    if (!it.key().empty() && it.key()[0] == '_') continue;
    if (!used_.count(it.key())) warnings.push_back(source_ + ": unknown key '" + it.key() + "' (ignored)");
  }
  return warnings;
}

}  // namespace k3::config_json
