// The one JSON object reader (base/json_reader.h).
#include "base/json_reader.h"

#include "base/errors.h"
#include "base/text.h"

#include <cmath>
#include <sstream>

namespace k3 {

using nlohmann::json;

void throw_json_problems(const std::string& source, const std::vector<JsonProblem>& problems) {
  std::ostringstream out;
  out << source << ": " << problems.size() << (problems.size() == 1 ? " problem" : " problems");
  for (const auto& problem : problems) out << "\n  " << problem.path << ": " << problem.message;
  throw ConfigError(out.str());
}

std::string json_value_description(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return std::string("a boolean (") + (value.get<bool>() ? "true" : "false") + ")";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "the number " + value.dump();
    case json::value_t::string: return "the string " + value.dump();
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "an unsupported value";
  }
}

namespace {

// An integer, or a float with an integral value (3.0: some writers emit every number as float).
bool integral_value(const json& value, double& out) {
  if (value.is_number_integer() || value.is_number_unsigned()) {
    out = value.get<double>();
    return true;
  }
  if (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>()) {
    out = value.get<double>();
    return true;
  }
  return false;
}

std::string choice_list(const std::vector<std::string>& choices) {
  std::string list;
  for (const auto& choice : choices) list += (list.empty() ? "" : ", ") + choice;
  return list;
}

}  // namespace

JsonReader::JsonReader(const json& json, std::string source, std::string path, std::vector<JsonProblem>* problems)
    : json_(json), source_(std::move(source)), path_(std::move(path)), problems_(problems) {
  if (json_.is_object()) return;
  const std::string message = "expected a JSON object, got " + json_value_description(json_);
  if (problems_) problems_->push_back({path_.empty() ? source_ : path_, message});
  else throw ConfigError(source_ + ": " + (path_.empty() ? "" : path_ + ": ") + message);
}

const json* JsonReader::find(const std::string& key) {
  known_.insert(key);
  if (!json_.is_object()) return nullptr;
  auto it = json_.find(key);
  return it == json_.end() || it->is_null() ? nullptr : &*it;
}

void JsonReader::ignore(std::initializer_list<const char*> keys) {
  for (const char* key : keys) known_.insert(key);
}

std::string JsonReader::where(const std::string& key) const { return source_ + ": " + path_of(key); }

void JsonReader::problem(const std::string& key, const std::string& message) {
  if (!problems_) throw ConfigError(where(key) + ": " + message);
  problems_->push_back({path_of(key), message});
}

void JsonReader::fail(const std::string& key, const std::string& expected, const std::string& got) const {
  throw ConfigError(where(key) + ": expected " + expected + ", got " + got);
}

void JsonReader::read(const std::string& key, bool& value) {
  const json* v = find(key);
  if (!v) return;
  if (!v->is_boolean()) return problem(key, "expected true or false, got " + json_value_description(*v));
  value = v->get<bool>();
}

void JsonReader::read(const std::string& key, std::string& value) {
  const json* v = find(key);
  if (!v) return;
  if (!v->is_string()) return problem(key, "expected a string, got " + json_value_description(*v));
  value = v->get<std::string>();
}

void JsonReader::read(const std::string& key, int64_t& value, int64_t min_value, int64_t max_value) {
  const json* v = find(key);
  if (!v) return;
  double d = 0;
  if (!integral_value(*v, d)) return problem(key, "expected an integer, got " + json_value_description(*v));
  if (d < static_cast<double>(min_value) || d > static_cast<double>(max_value))
    return problem(key, "expected an integer in [" + std::to_string(min_value) + ", " + std::to_string(max_value) +
                            "], got " + v->dump());
  value = static_cast<int64_t>(d);
}

void JsonReader::read(const std::string& key, int& value, int min_value, int max_value) {
  int64_t wide = value;
  read(key, wide, min_value, max_value);
  value = static_cast<int>(wide);
}

void JsonReader::read(const std::string& key, std::uint64_t& value) {
  const json* v = find(key);
  if (!v) return;
  if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<std::int64_t>() >= 0))
    return problem(key, "expected a non-negative integer, got " + json_value_description(*v));
  value = v->get<std::uint64_t>();
}

void JsonReader::read(const std::string& key, double& value, double min_value, double max_value) {
  const json* v = find(key);
  if (!v) return;
  if (!v->is_number()) return problem(key, "expected a number, got " + json_value_description(*v));
  const double d = v->get<double>();
  if (!(d >= min_value && d <= max_value)) {
    std::ostringstream range;
    range << "expected a number in [" << min_value << ", " << max_value << "], got " << v->dump();
    return problem(key, range.str());
  }
  value = d;
}

void JsonReader::read_choice(const std::string& key, std::string& value, const std::vector<std::string>& choices) {
  const json* v = find(key);
  if (!v) return;
  if (!v->is_string()) return problem(key, "expected one of " + choice_list(choices) + ", got " + json_value_description(*v));
  const std::string given = v->get<std::string>();
  for (const auto& choice : choices)
    if (lower(choice) == lower(given)) {
      value = choice;
      return;
    }
  problem(key, "expected one of " + choice_list(choices) + ", got \"" + given + "\"");
}

void JsonReader::read_object(const std::string& key, const std::function<void(JsonReader&)>& body) {
  const json* v = find(key);
  if (!v) return;
  if (!v->is_object()) return problem(key, "expected an object, got " + json_value_description(*v));
  JsonReader nested(*v, source_, path_of(key), problems_);
  body(nested);
  nested.finish();
}

int64_t JsonReader::optional_int(const std::string& key, int64_t fallback) {
  read(key, fallback, INT64_MIN, INT64_MAX);
  return fallback;
}

double JsonReader::optional_double(const std::string& key, double fallback) {
  read(key, fallback, -HUGE_VAL, HUGE_VAL);
  return fallback;
}

bool JsonReader::optional_bool(const std::string& key, bool fallback) {
  read(key, fallback);
  return fallback;
}

std::string JsonReader::optional_string(const std::string& key, const std::string& fallback) {
  std::string value = fallback;
  read(key, value);
  return value;
}

int64_t JsonReader::required_int(const std::string& key) {
  if (!has(key)) fail(key, "an integer", "no such key");
  return optional_int(key, 0);
}

std::string JsonReader::required_string(const std::string& key) {
  if (!has(key)) fail(key, "a string", "no such key");
  return optional_string(key, "");
}

std::vector<int64_t> JsonReader::required_int_list(const std::string& key) {
  const json* v = find(key);
  if (!v) fail(key, "a non-empty list of integers", "no such key");
  std::vector<int64_t> out;
  double d = 0;
  for (const auto& item : v->is_array() ? *v : json::array()) {
    if (!integral_value(item, d)) break;
    out.push_back(static_cast<int64_t>(d));
  }
  if (!v->is_array() || v->empty() || out.size() != v->size()) fail(key, "a non-empty list of integers", v->dump());
  return out;
}

std::vector<std::string> JsonReader::required_string_list(const std::string& key) {
  const json* v = find(key);
  if (!v) fail(key, "a non-empty list of strings", "no such key");
  std::vector<std::string> out;
  for (const auto& item : v->is_array() ? *v : json::array()) {
    if (!item.is_string()) break;
    out.push_back(item.get<std::string>());
  }
  if (!v->is_array() || v->empty() || out.size() != v->size()) fail(key, "a non-empty list of strings", v->dump());
  return out;
}

std::vector<std::string> JsonReader::unknown_keys(bool skip_bookkeeping) const {
  std::vector<std::string> keys;
  if (!json_.is_object()) return keys;
  for (auto it = json_.begin(); it != json_.end(); ++it)
    if (!known_.count(it.key()) && !(skip_bookkeeping && !it.key().empty() && it.key()[0] == '_')) keys.push_back(it.key());
  return keys;
}

void JsonReader::finish() {
  const std::vector<std::string> known(known_.begin(), known_.end());
  for (const auto& key : unknown_keys(false)) {
    std::string message = "unknown key";
    const std::string guess = did_you_mean(key, known);
    if (!guess.empty()) message += " (did you mean \"" + guess + "\"?)";
    problem(key, message);
  }
}

std::vector<std::string> JsonReader::unknown_key_warnings() const {
  std::vector<std::string> warnings;
  for (const auto& key : unknown_keys(true)) warnings.push_back(where(key) + ": unknown key, ignored");
  return warnings;
}

}  // namespace k3
