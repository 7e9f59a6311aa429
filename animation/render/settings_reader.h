#pragma once
// Reads a JSON object into typed fields while collecting every problem (with its JSON path),
// so that a bad preset is reported in one go instead of one error per run.
#include "base/text.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace k3::anim {

struct SettingsIssue {
  std::string path;     // JSON path, e.g. "motion.zoom" or "story[2].duration"
  std::string message;  // "expected ..., got ..."
};

// Throws k3::ConfigError listing every issue, one per line, prefixed by `source` (a file name).
[[noreturn]] void throw_settings_issues(const std::string& source, const std::vector<SettingsIssue>& issues);

// One JSON object level. Each read_* marks the key as known; finish() reports unknown keys
// (with a did-you-mean among the known ones). Missing keys keep the caller's default.
class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& object, std::string path, std::vector<SettingsIssue>& issues);

  bool has(const std::string& key);  // also marks the key known
  void read(const std::string& key, int& value, int min_value, int max_value);
  void read(const std::string& key, double& value, double min_value, double max_value);
  void read(const std::string& key, bool& value);
  void read(const std::string& key, std::string& value);
  void read(const std::string& key, std::uint64_t& value);
  // A string limited to `choices` (compared case-insensitively, stored as the choice's spelling).
  void read_choice(const std::string& key, std::string& value, const std::vector<std::string>& choices);
  // A keyframe schedule: a string such as "0:(1.0), 10:(1.02)" or a bare number (held constant).
  void read_schedule(const std::string& key, std::string& value);
  // A nested object handled by `body`; a non-object is reported.
  void read_object(const std::string& key, const std::function<void(ObjectReader&)>& body);
  // Accepts the key without reading it (handled elsewhere).
  void accept(const std::string& key) { known_.insert(key); }
  void finish();

  std::string path_of(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  void issue(const std::string& key, const std::string& message) { issues_.push_back({path_of(key), message}); }
  std::vector<SettingsIssue>& issues() { return issues_; }
  const nlohmann::json& raw() const { return object_; }

 private:
  const nlohmann::json* find(const std::string& key);
  const nlohmann::json& object_;
  std::string path_;
  std::vector<SettingsIssue>& issues_;
  std::set<std::string> known_;
};

// "a string", "a number", ... for messages.
std::string json_type_name(const nlohmann::json& value);

}  // namespace k3::anim
