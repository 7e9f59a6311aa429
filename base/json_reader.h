#pragma once
// The one reader of JSON objects (presets, settings.json, Deforum files, model config.json files):
// typed reads with ranges and choices, used-key tracking, JSON paths in every message, a
// did-you-mean for unknown keys, and one wording: "<source>: <path>: expected X, got Y".
// A reader either collects every problem of a file (presets: all reported at once) or throws at
// the first (model configs: the load stops). `null` means "not given" everywhere: diffusers
// writes it for "use the default" (e.g. "trained_betas": null).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace k3 {

struct JsonProblem {
  std::string path;     // JSON path, e.g. "motion.zoom" or "story[2].duration"
  std::string message;  // "expected ..., got ..."
};

// Throws ConfigError "<source>: N problems" with one "  <path>: <message>" line per problem.
[[noreturn]] void throw_json_problems(const std::string& source, const std::vector<JsonProblem>& problems);

// "the number 3", "the string \"x\"", "an array", ... for messages.
std::string json_value_description(const nlohmann::json& value);

class JsonReader {
 public:
  // `problems` == nullptr: the first problem throws ConfigError naming `source` and the key's path.
  // A `json` that is not an object is itself a problem (reported at `path`, or at the source).
  JsonReader(const nlohmann::json& json, std::string source, std::string path = "",
             std::vector<JsonProblem>* problems = nullptr);

  // The value of `key`, or nullptr when absent or null; marks the key as known.
  const nlohmann::json* find(const std::string& key);
  bool has(const std::string& key) { return find(key) != nullptr; }
  // Keys that are known and deliberately unused (bookkeeping, settings handled elsewhere).
  void ignore(std::initializer_list<const char*> keys);
  void ignore(const std::string& key) { known_.insert(key); }

  // Typed reads into `value`, left unchanged when the key is absent or its value is a problem.
  void read(const std::string& key, bool& value);
  void read(const std::string& key, std::string& value);
  void read(const std::string& key, int& value, int min_value, int max_value);
  void read(const std::string& key, int64_t& value, int64_t min_value, int64_t max_value);
  void read(const std::string& key, std::uint64_t& value);
  void read(const std::string& key, double& value, double min_value, double max_value);
  // A string among `choices`, compared case-insensitively and stored in the choice's spelling.
  void read_choice(const std::string& key, std::string& value, const std::vector<std::string>& choices);
  // A nested object read by `body` with the same problem handling; finish() is called after it.
  void read_object(const std::string& key, const std::function<void(JsonReader&)>& body);

  // Config-file style: the value or the fallback; required ones make their absence a problem.
  int64_t optional_int(const std::string& key, int64_t fallback);
  double optional_double(const std::string& key, double fallback);
  bool optional_bool(const std::string& key, bool fallback);
  std::string optional_string(const std::string& key, const std::string& fallback);
  int64_t required_int(const std::string& key);
  std::string required_string(const std::string& key);
  std::vector<int64_t> required_int_list(const std::string& key);
  std::vector<std::string> required_string_list(const std::string& key);

  // A problem at `key`: recorded, or thrown when the reader throws.
  void problem(const std::string& key, const std::string& message);
  // A problem that ends the read in any mode (a value the caller cannot go on without).
  [[noreturn]] void fail(const std::string& key, const std::string& expected, const std::string& got) const;

  // Unknown keys (neither read nor ignored) as problems with a did-you-mean among the known keys
  // (presets: a typo must not pass silently), or as warnings, "_"-prefixed bookkeeping keys aside
  // (model configs: newer library versions add keys).
  void finish();
  std::vector<std::string> unknown_key_warnings() const;

  std::string path_of(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const std::string& source() const { return source_; }
  const nlohmann::json& raw() const { return json_; }
  std::vector<JsonProblem>* problems() const { return problems_; }

 private:
  std::vector<std::string> unknown_keys(bool skip_bookkeeping) const;
  std::string where(const std::string& key) const;
  const nlohmann::json& json_;
  std::string source_;
  std::string path_;
  std::vector<JsonProblem>* problems_;
  std::set<std::string> known_;
};

}  // namespace k3
