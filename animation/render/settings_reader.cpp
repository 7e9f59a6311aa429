#include "animation/render/settings_reader.h"

#include "base/text.h"

#include "base/errors.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

namespace k3::anim {

using nlohmann::json;

void throw_settings_issues(const std::string& source, const std::vector<SettingsIssue>& issues) {
  std::ostringstream out;
  out << source << ": " << issues.size() << (issues.size() == 1 ? " problem" : " problems");
  for (const auto& issue : issues) out << "\n  " << issue.path << ": " << issue.message;
  throw ConfigError(out.str());
}

std::string json_type_name(const json& value) {
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

ObjectReader::ObjectReader(const json& object, std::string path, std::vector<SettingsIssue>& issues)
    : object_(object), path_(std::move(path)), issues_(issues) {}

const json* ObjectReader::find(const std::string& key) {
  known_.insert(key);
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

bool ObjectReader::has(const std::string& key) { return find(key) != nullptr; }

void ObjectReader::read(const std::string& key, int& value, int min_value, int max_value) {
  const json* v = find(key);
  if (!v) return;
  double d = 0;
  if (v->is_number_integer() || v->is_number_unsigned()) d = v->get<double>();
  else if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>()) d = v->get<double>();
  else return issue(key, "expected an integer, got " + json_type_name(*v));
  if (d < min_value || d > max_value)
    return issue(key, "expected an integer in [" + std::to_string(min_value) + ", " + std::to_string(max_value) + "], got " + v->dump());
  value = static_cast<int>(d);
}

void ObjectReader::read(const std::string& key, double& value, double min_value, double max_value) {
  const json* v = find(key);
  if (!v) return;
  if (!v->is_number()) return issue(key, "expected a number, got " + json_type_name(*v));
  double d = v->get<double>();
  if (!(d >= min_value && d <= max_value)) {
    std::ostringstream range;
    range << "expected a number in [" << min_value << ", " << max_value << "], got " << v->dump();
    return issue(key, range.str());
  }
  value = d;
}

void ObjectReader::read(const std::string& key, bool& value) {
  const json* v = find(key);
  if (!v) return;
  if (!v->is_boolean()) return issue(key, "expected true or false, got " + json_type_name(*v));
  value = v->get<bool>();
}

void ObjectReader::read(const std::string& key, std::string& value) {
  const json* v = find(key);
  if (!v) return;
  if (!v->is_string()) return issue(key, "expected a string, got " + json_type_name(*v));
  value = v->get<std::string>();
}

void ObjectReader::read(const std::string& key, std::uint64_t& value) {
  const json* v = find(key);
  if (!v) return;
  if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<std::int64_t>() >= 0))
    return issue(key, "expected a non-negative integer, got " + json_type_name(*v));
  value = v->get<std::uint64_t>();
}

void ObjectReader::read_choice(const std::string& key, std::string& value, const std::vector<std::string>& choices) {
  const json* v = find(key);
  if (!v) return;
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  if (!v->is_string()) return issue(key, "expected one of " + list + ", got " + json_type_name(*v));
  std::string given = v->get<std::string>();
  for (const auto& c : choices)
    if (lower(c) == lower(given)) {
      value = c;
      return;
    }
  issue(key, "expected one of " + list + ", got \"" + given + "\"");
}

void ObjectReader::read_schedule(const std::string& key, std::string& value) {
  const json* v = find(key);
  if (!v) return;
  // Deforum files sometimes hold bare numbers (sd-webui-deforum#670): accept them as constants.
  if (v->is_number()) value = "0:(" + v->dump() + ")";
  else if (v->is_string()) value = v->get<std::string>();
  else issue(key, "expected a keyframe schedule string such as \"0:(1.0)\", got " + json_type_name(*v));
}

void ObjectReader::read_object(const std::string& key, const std::function<void(ObjectReader&)>& body) {
  const json* v = find(key);
  if (!v) return;
  if (!v->is_object()) return issue(key, "expected an object, got " + json_type_name(*v));
  ObjectReader nested(*v, path_of(key), issues_);
  body(nested);
  nested.finish();
}

void ObjectReader::finish() {
  if (!object_.is_object()) return;
  std::vector<std::string> known(known_.begin(), known_.end());
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (known_.count(it.key())) continue;
    std::string message = "unknown key";
    std::string guess = did_you_mean(it.key(), known);
    if (!guess.empty()) message += " (did you mean \"" + guess + "\"?)";
    issues_.push_back({path_of(it.key()), message});
  }
}

}  // namespace k3::anim
